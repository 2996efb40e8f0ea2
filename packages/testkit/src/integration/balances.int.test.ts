import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBalances } from '@tollgate/relay/metering/memory-balances.ts';
import { createRedisBalances } from '@tollgate/relay/metering/redis-balances.ts';
import {
  createResilientBalances,
  type ResilientBalances,
} from '@tollgate/relay/metering/resilient-balances.ts';
import type { BalanceStore, Hold, Settlement } from '@tollgate/relay/metering/types.ts';
import { addToBase } from '@tollgate/shared/balance-keys.ts';
import { createDb, type Db, migrateToLatest, num } from '@tollgate/shared/db/index.ts';
import { redisNames } from '@tollgate/shared/redis-names.ts';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testRedisUrl } from '../harness/services.ts';

const logger = pino({ level: 'silent' });
// a namespace of this run's own on the shared Redis
const names = redisNames(`tgtest-${process.pid}-${Date.now().toString(36)}:`);
let seq = 0;
const nextId = () => `hold_${Date.now().toString(36)}_${seq++}`;

async function seedUser(db: Db, balance: number, remainQuota?: number) {
  const now = Date.now();
  const email = `bal-${now}-${seq++}@example.com`;
  const u = await db.db
    .insertInto('users')
    .values({ email, passwordHash: 'x', balance, createdAt: now, updatedAt: now })
    .executeTakeFirstOrThrow();
  const userId = Number(u.insertId);
  const t = await db.db
    .insertInto('tokens')
    .values({
      userId,
      name: 'k',
      keyHash: `${email}`.padEnd(64, 'x').slice(0, 64),
      keyEncrypted: 'x',
      keyMask: 'x',
      remainQuota: remainQuota ?? 0,
      unlimitedQuota: remainQuota === undefined ? 1 : 0,
      createdAt: now,
      updatedAt: now,
    })
    .executeTakeFirstOrThrow();
  return { userId, tokenId: Number(t.insertId) };
}

function settlement(h: Hold, cost: number): Settlement {
  return {
    requestId: h.requestId,
    at: Date.now(),
    userId: h.userId,
    tokenId: h.tokenId,
    limitedKey: h.limitedKey,
    model: 'm',
    upstreamModel: 'm',
    channelId: 1,
    triedChannels: [1],
    promptTokens: 10,
    cachedTokens: 0,
    completionTokens: 5,
    cost,
    channelCost: 0,
    latencyMs: 1,
    ttftMs: 1,
    stream: false,
    status: 200,
    errorCode: null,
    ip: '127.0.0.1',
    note: null,
  };
}

type Kind = 'memory+sqlite' | 'memory+mysql' | 'redis+mysql';

describe.each(['memory+sqlite', 'memory+mysql', 'redis+mysql'] as Kind[])('balances (%s)', (kind) => {
  let db: Db;
  let store: BalanceStore;
  let redis: Redis | undefined;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (kind === 'memory+sqlite') {
      db = createDb({ data_dir: mkdtempSync(join(tmpdir(), 'tg-bal-')) });
    } else {
      const t = await createTestDatabase();
      drop = t.drop;
      db = createDb({ sql_dsn: t.dsn, data_dir: '' });
    }
    await migrateToLatest(db);
    if (kind === 'redis+mysql') {
      redis = new Redis(testRedisUrl);
      store = createRedisBalances({
        db,
        redis,
        reader: new Redis(testRedisUrl),
        names,
        logger,
        flushIntervalMs: 100,
        aggregateLedger: false,
      });
    } else {
      store = createMemoryBalances({ db, logger, flushIntervalMs: 100, aggregateLedger: false });
    }
  });
  afterAll(async () => {
    await store?.close();
    const keys = redis ? await redis.keys(`${names.prefix}*`) : [];
    if (keys.length) await redis!.del(...keys);
    redis?.disconnect();
    await db?.close();
    await drop?.();
  });

  it('100 parallel holds against a balance for 10: exactly 10 pass, nothing overspent', async () => {
    const { userId, tokenId } = await seedUser(db, 1000);
    const holds = Array.from({ length: 100 }, () => ({
      requestId: nextId(),
      userId,
      tokenId,
      limitedKey: false,
      amount: 100,
    }));
    const results = await Promise.all(holds.map((h) => store.hold(h)));
    expect(results.filter((r) => r === undefined)).toHaveLength(10);
    expect(results.filter((r) => r === 'insufficient_balance')).toHaveLength(90);
    // settle the 10 at 60 each: 40 released per request
    await Promise.all(
      holds.filter((_, i) => results[i] === undefined).map((h) => store.settle(h, settlement(h, 60))),
    );
    await store.flush();
    const u = await db.db
      .selectFrom('users')
      .select(['balance', 'usedQuota', 'requestCount'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(Number(u.balance)).toBe(400);
    expect(Number(u.usedQuota)).toBe(600);
    expect(Number(u.requestCount)).toBe(10);
    const logs = await db.db
      .selectFrom('logs')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('cost').as('c')])
      .where('userId', '=', userId)
      .executeTakeFirstOrThrow();
    expect(num(logs.n)).toBe(10);
    expect(num(logs.c)).toBe(600);
    const ledger = await db.db
      .selectFrom('ledger')
      .select((eb) => eb.fn.sum('amount').as('s'))
      .where('userId', '=', userId)
      .executeTakeFirstOrThrow();
    expect(num(ledger.s)).toBe(-600);
    // the released 400 can be held again, and no more
    expect(
      await store.hold({ requestId: nextId(), userId, tokenId, limitedKey: false, amount: 400 }),
    ).toBeUndefined();
    expect(await store.hold({ requestId: nextId(), userId, tokenId, limitedKey: false, amount: 1 })).toBe(
      'insufficient_balance',
    );
  });

  it('a limited key refuses with insufficient_quota before the user runs out; quota is charged', async () => {
    const { userId, tokenId } = await seedUser(db, 10_000, 250);
    const mk = () => ({ requestId: nextId(), userId, tokenId, limitedKey: true, amount: 100 });
    const h = mk();
    const h2 = mk();
    expect(await store.hold(h)).toBeUndefined();
    expect(await store.hold(h2)).toBeUndefined();
    expect(await store.hold(mk())).toBe('insufficient_quota');
    await store.settle(h, settlement(h, 100));
    await store.settle(h2, settlement(h2, 0));
    await store.flush();
    const t = await db.db
      .selectFrom('tokens')
      .select(['remainQuota', 'usedQuota'])
      .where('id', '=', tokenId)
      .executeTakeFirstOrThrow();
    expect(Number(t.remainQuota)).toBe(150);
    expect(Number(t.usedQuota)).toBe(100);
    expect(await store.hold({ ...h, amount: 150 })).toBeUndefined();
    expect(await store.hold({ ...h, amount: 1 })).toBe('insufficient_quota');
  });

  it('a top-up is visible to the next hold', async () => {
    const { userId, tokenId } = await seedUser(db, 50);
    const h = { requestId: nextId(), userId, tokenId, limitedKey: false, amount: 100 };
    expect(await store.hold(h)).toBe('insufficient_balance');
    await db.db.updateTable('users').set({ balance: 150 }).where('id', '=', userId).execute();
    if (redis) await addToBase(redis, names.userBalance(userId), 100);
    else await store.refreshUser(userId);
    expect(await store.hold(h)).toBeUndefined();
  });

  it('writing the same settlement twice charges once', async () => {
    const { userId, tokenId } = await seedUser(db, 1000);
    const h = { requestId: nextId(), userId, tokenId, limitedKey: false, amount: 10 };
    expect(await store.hold(h)).toBeUndefined();
    const s = settlement(h, 10);
    await store.settle(h, s);
    // the same settlement delivered again (a replay) must not charge twice
    const again = { ...h, requestId: nextId() };
    expect(await store.hold(again)).toBeUndefined();
    await store.settle(again, s);
    await store.flush();
    const u = await db.db
      .selectFrom('users')
      .select('balance')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(Number(u.balance)).toBe(990);
  });
});

/**
 * Issue #8: a relay whose Redis connection drops (real Redis and MariaDB; the command connection is
 * closed on purpose, as when Redis stops): holds and settlements go to the in-process fallback and SQL,
 * and when the connection is back the Redis counters agree with SQL again — no cost twice, none lost.
 */
describe('resilient balances across a dropped Redis connection (redis+mysql)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let cmd: Redis;
  let store: ResilientBalances;
  const rnames = redisNames(`tgtest-res-${process.pid}-${Date.now().toString(36)}:`);
  /** a Redis store on the command connection the tests drop (its own reader for the stream) */
  const redisStore = (reader = new Redis(testRedisUrl)) =>
    createRedisBalances({
      db,
      redis: cmd,
      reader,
      names: rnames,
      logger,
      flushIntervalMs: 100,
      aggregateLedger: false,
    });
  const resilient = (maxBacklog: number) =>
    createResilientBalances({
      primary: redisStore(),
      createFallback: (onApplied) =>
        createMemoryBalances({ db, logger, flushIntervalMs: 100, aggregateLedger: false, onApplied }),
      logger,
      maxBacklog,
      recoverEveryMs: 50,
    });

  beforeAll(async () => {
    const t = await createTestDatabase();
    drop = t.drop;
    db = createDb({ sql_dsn: t.dsn, data_dir: '' });
    await migrateToLatest(db);
    cmd = new Redis(testRedisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    await cmd.ping().catch(() => new Promise((r) => cmd.once('ready', r)));
    store = resilient(1000);
  });
  afterAll(async () => {
    await store?.close();
    const keys = await cmd.keys(`${rnames.prefix}*`);
    if (keys.length) await cmd.del(...keys);
    cmd.disconnect();
    await db?.close();
    await drop?.();
  });

  it('settles what was held before and after the drop exactly once; counters equal SQL after', async () => {
    const { userId, tokenId } = await seedUser(db, 1000, 500);
    const before = { requestId: nextId(), userId, tokenId, limitedKey: true, amount: 100 };
    expect(await store.hold(before)).toBeUndefined(); // in Redis
    expect(store.fallbackActive()).toBe(false);

    const ended = new Promise((r) => cmd.once('end', r));
    cmd.disconnect();
    await ended;
    expect(store.fallbackActive()).toBe(true);
    // the hold taken in Redis settles through the fallback; a new hold is checked in process
    await store.settle(before, settlement(before, 30));
    const during = { requestId: nextId(), userId, tokenId, limitedKey: true, amount: 100 };
    expect(await store.hold(during)).toBeUndefined();
    // the in-process check knows what SQL says (1000, key 500) minus what it holds: 500 more is refused
    const tooMuch = { requestId: nextId(), userId, tokenId, limitedKey: true, amount: 401 };
    expect(await store.hold(tooMuch)).toBe('insufficient_quota');
    await store.settle(during, settlement(during, 40));
    await store.flush();
    const sqlNow = await db.db
      .selectFrom('users')
      .select('balance')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(Number(sqlNow.balance)).toBe(930);

    await cmd.connect();
    let counters: Record<string, string> = {};
    let key: Record<string, string> = {};
    for (let i = 0; i < 100; i++) {
      await store.recover();
      counters = await cmd.hgetall(rnames.userBalance(userId));
      key = await cmd.hgetall(rnames.tokenQuota(tokenId));
      if (!store.fallbackActive() && counters.base === '930' && counters.held === '0') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // `base` mirrors SQL; the hold taken before the drop was given back once
    expect(counters).toEqual({ base: '930', held: '0', pending: '0' });
    expect(key).toEqual({ base: '430', held: '0', pending: '0' });
    // and back on Redis: a new request holds and settles there
    const after = { requestId: nextId(), userId, tokenId, limitedKey: true, amount: 50 };
    expect(await store.hold(after)).toBeUndefined();
    expect(await cmd.hget(rnames.userBalance(userId), 'held')).toBe('50');
    await store.settle(after, settlement(after, 5));
    await store.flush();
    const rows = await db.db
      .selectFrom('logs')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('userId', '=', userId)
      .where('kind', '=', 'usage')
      .executeTakeFirstOrThrow();
    expect(num(rows.n)).toBe(3);
    const u = await db.db
      .selectFrom('users')
      .select('balance')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(Number(u.balance)).toBe(925);
  });

  it('a stream held in Redis extends in process while Redis is away, within what SQL allows', async () => {
    const { userId, tokenId } = await seedUser(db, 1000, 500);
    const h = { requestId: nextId(), userId, tokenId, limitedKey: true, amount: 100 };
    expect(await store.hold(h)).toBeUndefined(); // in Redis
    const ended = new Promise((r) => cmd.once('end', r));
    cmd.disconnect();
    await ended;
    // the extension is checked in process against SQL (key 500): 450 fits, 450 more does not
    expect(await store.hold({ ...h, amount: 450 })).toBeUndefined();
    expect(await store.hold({ ...h, amount: 450 })).toBe('insufficient_quota');
    // the meter's hold covers both parts; the request costs 300
    await store.settle({ ...h, amount: 550 }, settlement(h, 300));
    await store.flush();
    await cmd.connect();
    let user: Record<string, string> = {};
    let key: Record<string, string> = {};
    for (let i = 0; i < 100; i++) {
      await store.recover();
      user = await cmd.hgetall(rnames.userBalance(userId));
      key = await cmd.hgetall(rnames.tokenQuota(tokenId));
      if (user.base === '700' && user.held === '0' && key.base === '200') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(user).toEqual({ base: '700', held: '0', pending: '0' });
    expect(key).toEqual({ base: '200', held: '0', pending: '0' });
  });

  it('the flusher recovers when Redis lost the settlement stream and its group (restart without persistence)', async () => {
    const { userId, tokenId } = await seedUser(db, 1000);
    await cmd.del(rnames.settlementsStream);
    const h = { requestId: nextId(), userId, tokenId, limitedKey: false, amount: 10 };
    expect(await store.hold(h)).toBeUndefined();
    await store.settle(h, settlement(h, 10)); // XADD makes a new stream, without the flushers' group
    let balance = 1000;
    for (let i = 0; i < 100 && balance !== 990; i++) {
      await new Promise((r) => setTimeout(r, 100));
      balance = Number(
        (await db.db.selectFrom('users').select('balance').where('id', '=', userId).executeTakeFirstOrThrow())
          .balance,
      );
    }
    expect(balance).toBe(990);
  });

  it('a settlement for a counter Redis lost leaves the re-seeded counter exact', async () => {
    const names2 = redisNames(`${rnames.prefix}lost:`);
    // a store whose background flusher cannot read (its reader never connects): only flush() writes,
    // so the counter is re-seeded before the settlement reaches SQL, as when Redis lost it mid-request
    const idle = new Redis(testRedisUrl, { lazyConnect: true, enableOfflineQueue: false });
    const primary = createRedisBalances({
      db,
      redis: cmd,
      reader: idle,
      names: names2,
      logger,
      flushIntervalMs: 60_000,
      aggregateLedger: false,
    });
    try {
      const { userId, tokenId } = await seedUser(db, 1000, 500);
      const h = { requestId: nextId(), userId, tokenId, limitedKey: true, amount: 100 };
      expect(await primary.hold(h)).toBeUndefined();
      // Redis loses the counters (a restart without persistence) while the request runs
      await cmd.del(names2.userBalance(userId), names2.tokenQuota(tokenId));
      await primary.settle(h, settlement(h, 30));
      // the next request seeds both counters from SQL before the settlement is written
      const next = { requestId: nextId(), userId, tokenId, limitedKey: true, amount: 1 };
      expect(await primary.hold(next)).toBeUndefined();
      await primary.settle(next, settlement(next, 0));
      await primary.flush();
      expect(await cmd.hgetall(names2.userBalance(userId))).toEqual({ base: '970', held: '0', pending: '0' });
      expect(await cmd.hgetall(names2.tokenQuota(tokenId))).toEqual({ base: '470', held: '0', pending: '0' });
    } finally {
      await primary.close();
      const keys = await cmd.keys(`${names2.prefix}*`);
      if (keys.length) await cmd.del(...keys);
    }
  });

  it('a counter that drifted is set from SQL only when nothing is pending', async () => {
    const { userId, tokenId } = await seedUser(db, 1000);
    const h = { requestId: nextId(), userId, tokenId, limitedKey: false, amount: 10 };
    expect(await store.hold(h)).toBeUndefined();
    await store.settle(h, settlement(h, 10));
    await store.flush();
    const key = rnames.userBalance(userId);
    expect(await cmd.hgetall(key)).toEqual({ base: '990', held: '0', pending: '0' });
    await cmd.hincrby(key, 'base', 7); // drift
    const primary = redisStore();
    try {
      // a settlement on its way to SQL (pending): not quiet, nothing is touched
      await cmd.hincrby(key, 'pending', 3);
      expect(await primary.reconcile('user', userId)).toBe(false);
      expect(await cmd.hget(key, 'base')).toBe('997');
      await cmd.hincrby(key, 'pending', -3);
      expect(await primary.reconcile('user', userId)).toBe(true);
      expect(await cmd.hgetall(key)).toEqual({ base: '990', held: '0', pending: '0' });
      // a counter Redis does not have needs nothing (it is seeded from SQL on first use)
      expect(await primary.reconcile('user', 987_654_321)).toBe(true);
    } finally {
      await primary.close();
    }
  });

  it('refuses new requests with billing_unavailable once the backlog reaches its bound', async () => {
    const full = resilient(0);
    try {
      const { userId, tokenId } = await seedUser(db, 1000);
      const refused = full.hold({ requestId: nextId(), userId, tokenId, limitedKey: false, amount: 1 });
      await expect(refused).rejects.toMatchObject({ code: 'billing_unavailable', status: 503 });
    } finally {
      await full.close();
    }
  });
});
