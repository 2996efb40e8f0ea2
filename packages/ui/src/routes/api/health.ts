import type { APIEvent } from '@solidjs/start/server';
import { checkDb, dbState } from '~/server/db-health.ts';
import { getDeps } from '~/server/deps.ts';
import { RETRY_AFTER_S } from '~/server/unavailable-page.ts';

/**
 * `GET /api/health`: the site's readiness. 200 `{"status":"ok","database":"up"}` when the SQL database
 * answers a ping now; 503 `{"status":"unavailable","database":"down","downSince":…}` (with Retry-After)
 * when it does not. `redis` is informational (the site works without it, more slowly): `up`, `down`,
 * or `none` in embedded mode. No session, no secrets, nothing of the driver's error.
 */
export async function GET(_event: APIEvent): Promise<Response> {
  const up = await checkDb();
  let redis: 'up' | 'down' | 'none' | 'unknown' = 'unknown';
  if (up) {
    const deps = await getDeps();
    redis = deps.redis ? (deps.redis.status === 'ready' ? 'up' : 'down') : 'none';
  }
  const state = dbState();
  const body = up
    ? { status: 'ok', database: 'up', redis }
    : { status: 'unavailable', database: 'down', downSince: state.downSince, redis };
  return new Response(JSON.stringify(body), {
    status: up ? 200 : 503,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...(up ? {} : { 'retry-after': String(RETRY_AFTER_S) }),
    },
  });
}
