import { reconcileCounter } from '@tollgate/shared/balance-keys.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';

export interface RebuildResult {
  /** counters Redis holds */
  counters: number;
  /** set from SQL (or found equal) */
  rebuilt: number;
  /** still busy after every pass (a settlement on its way to SQL each time): run again later */
  busy: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sets every Redis balance and key-quota counter's `base` from SQL, online (the operator's repair after a
 * Redis outage or data loss, runbook "Redis down"): a counter is set only while nothing is pending on
 * it and its `base` did not move between the two reads, so no settlement or top-up is lost or counted
 * twice. Open holds stay as they are. Counters that stay busy are retried a few times.
 */
export async function rebuildCounters(
  deps: Pick<ControlPlaneDeps, 'db' | 'redis' | 'redisNames'>,
  o: { passes?: number; pauseMs?: number } = {},
): Promise<RebuildResult> {
  const redis = deps.redis;
  if (!redis)
    throw new ServiceError('BAD_REQUEST', 'no Redis configured: the embedded default has no counters');
  const names = deps.redisNames;
  let todo: { key: string; kind: 'user' | 'token'; id: number }[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', names.countersPattern, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const c = names.parseCounter(key);
      if (c) todo.push({ key, ...c });
    }
  } while (cursor !== '0');
  const counters = todo.length;
  const passes = o.passes ?? 5;
  for (let pass = 0; pass < passes && todo.length > 0; pass++) {
    if (pass > 0) await sleep(o.pauseMs ?? 1000);
    const again: typeof todo = [];
    for (const c of todo) if (!(await reconcileCounter(redis, deps.db, c.key, c.kind, c.id))) again.push(c);
    todo = again;
  }
  return { counters, rebuilt: counters - todo.length, busy: todo.length };
}
