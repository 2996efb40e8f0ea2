import { redisNames } from '@tollgate/shared/redis-names.ts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../cli/commands.ts';
import { createTestDeps, rid, type TestDeps } from '../../testing/harness.ts';
import { rebuildCounters } from './rebuild-counters.ts';

const REDIS_URL = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `tollgate balances rebuild` on MariaDB and the shared Redis (a prefix of this test's own). */
describe('balances rebuild (mysql + redis)', () => {
  let deps: TestDeps;
  let redis: Redis;
  const names = redisNames(`tg_test_${rid()}:`);

  beforeAll(async () => {
    deps = await createTestDeps({ kind: 'mysql' });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${names.prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await deps?.cleanup();
  });

  async function user(balance: number): Promise<number> {
    const now = Date.now();
    const r = await deps.db.db
      .insertInto('users')
      .values({
        email: `rb-${rid()}@example.com`,
        passwordHash: 'x',
        balance,
        createdAt: now,
        updatedAt: now,
      })
      .executeTakeFirstOrThrow();
    return Number(r.insertId);
  }

  it('sets drifted counters from SQL, keeps holds, leaves busy ones and says so', async () => {
    const [quiet, busy, gone] = [await user(1000), await user(2000), await user(3000)];
    // drifted (e.g. a relay stopped during a Redis outage): base above SQL, with a hold open
    await redis.hset(names.userBalance(quiet), 'base', 1040, 'held', 25, 'pending', 0);
    // a settlement on its way to SQL: not touched
    await redis.hset(names.userBalance(busy), 'base', 1999, 'held', 0, 'pending', 7);
    // a key that is not a counter, under the same pattern
    await redis.set(`${names.prefix}bal:x:1`, 'not a counter');
    const d = { ...deps, redis, redisNames: names };
    const r = await rebuildCounters(d, { passes: 2, pauseMs: 10 });
    expect(r).toEqual({ counters: 2, rebuilt: 1, busy: 1 });
    expect(await redis.hgetall(names.userBalance(quiet))).toEqual({ base: '1000', held: '25', pending: '0' });
    expect(await redis.hget(names.userBalance(busy), 'base')).toBe('1999');
    expect(await redis.exists(names.userBalance(gone))).toBe(0); // seeded from SQL on first use

    // the settlement lands: the next run sets it
    await redis.hset(names.userBalance(busy), 'pending', 0);
    const out = commands['balances rebuild']!;
    const again = await out.run(d, []);
    expect(again).toEqual({ counters: 2, rebuilt: 2, busy: 0 });
    expect(out.format?.(again)).toBe('2 of 2 counters set from the database');
    expect(await redis.hget(names.userBalance(busy), 'base')).toBe('2000');
  });

  it('refuses without Redis (embedded)', async () => {
    await expect(rebuildCounters({ ...deps, redis: undefined, redisNames: names })).rejects.toThrow(
      /no Redis/,
    );
  });
});
