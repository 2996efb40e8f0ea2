import type { Redis } from 'ioredis';
import type { Db } from './db/index.ts';

const ADD_BASE = `if redis.call('exists', KEYS[1]) == 1 then return redis.call('hincrby', KEYS[1], 'base', ARGV[1]) end return false`;

const RETRY_MS = 1000;

/** Deltas that could not reach Redis yet (it was away), per client, retried in order until applied. */
const waiting = new Map<Redis, { key: string; delta: number }[]>();
let retryTimer: NodeJS.Timeout | undefined;

let retrying = false;

async function retryWaiting(): Promise<void> {
  // one pass at a time: a pass waiting on a reconnecting client must not overlap the next tick's
  if (retrying) return;
  retrying = true;
  try {
    await retryPass();
  } finally {
    retrying = false;
  }
}

async function retryPass(): Promise<void> {
  for (const [redis, list] of waiting) {
    while (list.length > 0) {
      const next = list[0]!;
      try {
        await redis.eval(ADD_BASE, 1, next.key, String(next.delta));
      } catch {
        break; // still away: keep the rest, in order
      }
      list.shift();
    }
    if (list.length === 0) waiting.delete(redis);
  }
  if (waiting.size === 0 && retryTimer) {
    clearInterval(retryTimer);
    retryTimer = undefined;
  }
}

/** Counter deltas this process still owes Redis (it was unreachable when they were committed to SQL). */
export function waitingBaseDeltas(): number {
  let n = 0;
  for (const list of waiting.values()) n += list.length;
  return n;
}

/**
 * The hot balance counters are Redis hashes (DESIGN §2): `base` mirrors SQL (a user's balance, a limited
 * key's remaining quota), `held` is open holds, `pending` is settled but not yet in SQL; available =
 * base − held − pending. After a committed SQL change of a balance or key quota (top-up, adjustment,
 * refund, quota edit) this moves `base` by the same delta. A counter not in Redis is seeded from SQL on
 * first use, so nothing is done then. Deltas commute with the flushers' own updates.
 *
 * SQL is committed already when this runs, so it never fails its caller: while Redis is away the delta
 * waits in this process and is applied, in order, as soon as Redis answers (a process stopped before
 * that leaves the counter off by the delta until it is rebuilt — logged by the caller's process).
 */
export async function addToBase(redis: Redis | undefined, key: string, delta: number): Promise<void> {
  if (!redis || delta === 0) return;
  const list = waiting.get(redis);
  if (!list) {
    try {
      await redis.eval(ADD_BASE, 1, key, String(delta));
      return;
    } catch {
      // fall through: wait for Redis
    }
  }
  // behind deltas that are waiting already, so the order of changes to one counter is kept
  const queue = waiting.get(redis) ?? [];
  queue.push({ key, delta });
  waiting.set(redis, queue);
  if (!retryTimer) {
    retryTimer = setInterval(() => void retryWaiting(), RETRY_MS);
    retryTimer.unref();
  }
}

/**
 * Sets `base` to the SQL value read after `base` was ARGV[1] with nothing pending — only if `base` is
 * still ARGV[1] and nothing is pending: then no settlement or top-up moved SQL or `base` in between.
 */
const RECONCILE = `
local v = redis.call('hmget', KEYS[1], 'base', 'pending')
if not v[1] then return 1 end
if v[1] ~= ARGV[1] or v[2] ~= '0' then return 0 end
redis.call('hset', KEYS[1], 'base', ARGV[2])
return 1`;

/** What a counter mirrors in SQL: a user's balance, or a limited key's remaining quota. */
export async function counterBaseInSql(db: Db, kind: 'user' | 'token', id: number): Promise<number> {
  const base =
    kind === 'user'
      ? (await db.db.selectFrom('users').select('balance').where('id', '=', id).executeTakeFirst())?.balance
      : (await db.db.selectFrom('tokens').select('remainQuota').where('id', '=', id).executeTakeFirst())
          ?.remainQuota;
  return Number(base ?? 0);
}

/**
 * Makes a counter's `base` equal SQL again when it is quiet (nothing pending); false when it was not
 * quiet (try again). A counter Redis does not have needs nothing: it is seeded from SQL on first use.
 */
export async function reconcileCounter(
  redis: Redis,
  db: Db,
  key: string,
  kind: 'user' | 'token',
  id: number,
): Promise<boolean> {
  const [base, pending] = await redis.hmget(key, 'base', 'pending');
  if (base === null || base === undefined) return true;
  if (pending !== '0') return false;
  const sqlValue = await counterBaseInSql(db, kind, id);
  return Number(await redis.eval(RECONCILE, 1, key, base, String(sqlValue))) === 1;
}
