import { createMiddleware } from 'hono/factory';
import type { RelayEnv } from '../env.ts';
import { RelayError } from '../errors.ts';
import type { RelayMetrics } from '../metrics/metrics.ts';
import { endpoints } from '../routes/relay-endpoint.ts';

const known = new Set([...endpoints.map((e) => e.path), '/models']);

/** `/v1/chat/completions` → `/chat/completions`; `/v1/models/x` → `/models`; unknown paths → `other`. */
export function endpointLabel(path: string): string {
  const below = path.startsWith('/v1/') ? path.slice(3) : path;
  if (known.has(below)) return below;
  return below.startsWith('/models/') ? '/models' : 'other';
}

/**
 * Counts the `/v1` requests the relay endpoint did not report through `onFinished`: refusals (auth,
 * limits, body, unknown model or path) and answers the relay gives itself (`/v1/models`). Runs first
 * so it also sees what later middleware refuses; reads the status and error `onError` left behind.
 */
export function countRequests(metrics: Pick<RelayMetrics, 'answered'>) {
  return createMiddleware<RelayEnv>(async (c, next) => {
    await next();
    if (c.get('finished')) return;
    const status = c.res.status;
    const err = c.error;
    const code =
      err instanceof RelayError ? err.code : err ? 'internal_error' : status >= 400 ? 'error' : 'ok';
    metrics.answered(endpointLabel(c.req.path), status, code);
  });
}
