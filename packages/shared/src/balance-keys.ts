import type { Redis } from 'ioredis';

const ADD_BASE = `if redis.call('exists', KEYS[1]) == 1 then return redis.call('hincrby', KEYS[1], 'base', ARGV[1]) end return false`;

/**
 * The hot balance counters are Redis hashes (DESIGN §2): `base` mirrors SQL (a user's balance, a limited
 * key's remaining quota), `held` is open holds, `pending` is settled but not yet in SQL; available =
 * base − held − pending. After a committed SQL change of a balance or key quota (top-up, adjustment,
 * refund, quota edit) this moves `base` by the same delta. A counter not in Redis is seeded from SQL on
 * first use, so nothing is done then. Deltas commute with the flushers' own updates.
 */
export async function addToBase(redis: Redis | undefined, key: string, delta: number): Promise<void> {
  if (!redis || delta === 0) return;
  await redis.eval(ADD_BASE, 1, key, String(delta));
}
