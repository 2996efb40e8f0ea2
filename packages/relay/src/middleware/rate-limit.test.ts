import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, describe, expect, it } from 'vitest';
import { limitedApp, rateLimitSuite, silent } from './rate-limit.fixtures.ts';
import { createRateLimits } from './rate-limit.ts';

const memoryLimits = (o: { globalRps?: number } = {}) =>
  createRateLimits({ globalRps: o.globalRps ?? 0, logger: silent, globalWindowSec: 60 });

rateLimitSuite('memory', memoryLimits);

describe('rate-limit headers on responses written straight to the socket', () => {
  const t = limitedApp(memoryLimits());
  const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('an SSE answer carries x-ratelimit-*-requests', async () => {
    await new Promise<void>((resolve) =>
      server.listening ? resolve() : server.once('listening', () => resolve()),
    );
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.keys.key2a}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [], stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/s$/);
    expect(await res.text()).toContain('data: [DONE]');
  });
});

describe('no limits configured', () => {
  it('global 0 and keys without limits pass untouched', async () => {
    const t = limitedApp(createRateLimits({ globalRps: 0, logger: silent }));
    for (let i = 0; i < 5; i++) {
      const res = await t.chat('free');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit-requests')).toBeNull();
    }
  });
});
