import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { RelayEnv } from '../env.ts';
import { RelayError } from '../errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `GET /metrics` in the Prometheus text format. Open unless `token` is set; then it needs
 * `Authorization: Bearer <token>` (compared in constant time over digests, so length leaks nothing).
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 */
export function metricsRoutes(registry: Registry, token?: string) {
  const app = new Hono<RelayEnv>();
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  app.get('/metrics', async (c) => {
    if (expected && !timingSafeEqual(digest(c.req.header('authorization') ?? ''), expected))
      throw new RelayError('invalid_api_key', {
        message: 'A valid metrics token is required.',
        headers: { 'www-authenticate': 'Bearer realm="metrics"' },
      });
    return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType });
  });
  return app;
}
