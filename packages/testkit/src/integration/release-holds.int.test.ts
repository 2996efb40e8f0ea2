import { createControlPlaneDeps } from '@tollgate/control-plane';
import { createReleaseHoldsJob } from '@tollgate/control-plane/jobs/release-holds.ts';
import { createMemoryBalances } from '@tollgate/relay/metering/memory-balances.ts';
import { createRedisBalances } from '@tollgate/relay/metering/redis-balances.ts';
import { loadConfig } from '@tollgate/shared/config.ts';
import { migrateToLatest } from '@tollgate/shared/db/index.ts';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testRedisUrl } from '../harness/services.ts';

describe('holds of a relay that died are released (Redis)', () => {
  const secret = 'r'.repeat(40);
  let drop: () => Promise<void>;
  let deps: ReturnType<typeof createControlPlaneDeps>;
  let redis: Redis;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    const cfg = loadConfig({
      overrides: {
        sql_dsn: db.dsn,
        redis_conn_string: testRedisUrl,
        redis_prefix: `${db.name}:`,
        user_token_secret: secret,
        session_secret: secret,
      },
    });
    deps = createControlPlaneDeps(cfg, { logger: pino({ level: 'silent' }) });
    await migrateToLatest(deps.db);
    redis = new Redis(testRedisUrl);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${deps.redisNames.prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    deps.redis?.disconnect();
    await deps.db.close();
    await drop();
  });

  it('a live relay keeps its holds; once its heartbeat expires the reconciler gives them back exactly once', async () => {
    const now = Date.now();
    const u = await deps.db.db
      .insertInto('users')
      .values({
        email: `h-${now}@example.com`,
        passwordHash: 'x',
        balance: 1000,
        createdAt: now,
        updatedAt: now,
      })
      .executeTakeFirstOrThrow();
    const userId = Number(u.insertId);
    const logger = pino({ level: 'silent' });
    const store = createRedisBalances({
      db: deps.db,
      redis,
      reader: new Redis(testRedisUrl),
      names: deps.redisNames,
      logger,
      flushIntervalMs: 100,
      aggregateLedger: false,
    });
    const hold = (id: string) => ({ requestId: id, userId, tokenId: 1, limitedKey: false, amount: 300 });
    expect(await store.hold(hold('a'))).toBeUndefined();
    expect(await store.hold(hold('b'))).toBeUndefined();
    const release = createReleaseHoldsJob(deps);
    // alive: nothing released
    expect((await release()).holds).toBe(0);
    expect(await store.hold(hold('c'))).toBeUndefined();
    expect(await store.hold(hold('d'))).toBe('insufficient_balance');
    // the relay "dies": its heartbeat disappears
    const alive = await redis.keys(`${deps.redisNames.prefix}relay:*`);
    expect(alive).toHaveLength(1);
    await store.close();
    // close() settles nothing here (holds were never settled) and drops the heartbeat
    expect(await redis.exists(alive[0]!)).toBe(0);
    const released = await release();
    expect(released.holds).toBe(3);
    expect(Number(await redis.hget(deps.redisNames.userBalance(userId), 'held'))).toBe(0);
    expect((await release()).holds).toBe(0);
    // a fresh relay can hold the whole balance again
    const next = createMemoryBalances({ db: deps.db, logger, flushIntervalMs: 100, aggregateLedger: false });
    expect(await next.hold(hold('e'))).toBeUndefined();
    await next.close();
  });
});
