import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import { redisNames } from '@tollgate/shared/redis-names.ts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { booksOf, type Customer, newCustomer, servePricedModel, waitForKey } from '../harness/customers.ts';
import { type PrivateRedis, startPrivateRedis } from '../harness/private-services.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';
import { eventually, metricValue, settledBooks, steadyLoad } from './load.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BALANCE = 1_000_000_000;
const KEY_QUOTA = 400_000_000;
const TOP_UP = 5_000_000;
const OUTAGE_MS = Number(process.env.TOLLGATE_TEST_OUTAGE_MS ?? 30_000);

/**
 * Issue #8, survival: Redis (a private server of this test) stopped for 30 s under load. Both relays
 * keep serving valid keys from their snapshots, limits fall back to memory, balances to an in-process
 * store backed by SQL; after Redis returns, snapshots resync, the Redis counters agree with SQL again
 * and the books are exact — every answer a client received billed once, nothing else billed.
 */
describe('Redis stopped for 30 s under load (production, 2 relays)', () => {
  let redis: PrivateRedis;
  let up: FakeUpstream;
  let stack: Stack;
  let db: Db;
  let admin: SiteClient;
  let relays: string[];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    up = await startFakeUpstream({ defaults: { latencyMs: 15 }, maxLogEntries: 0 });
    stack = await startStack(
      'production',
      { TOLLGATE_LOG_LEVEL: 'error', TOLLGATE_SETTLEMENT_CLAIM_IDLE_SECONDS: '2' },
      { freeModels: false, redisUrl: redis.url },
    );
    relays = [stack.relayUrl, (await stack.addRelay()).url];
    db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    await servePricedModel(admin, up.url);
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await stack?.stop();
    await up?.close();
    redis?.resume();
    await redis?.destroy();
  });

  it('keeps serving, limits and snapshot included; books and counters exact after it returns', async () => {
    const a: Customer = await newCustomer(stack.siteUrl, admin, { balance: BALANCE, tag: 'redis-a' });
    const b: Customer = await newCustomer(stack.siteUrl, admin, {
      balance: BALANCE,
      keyQuota: KEY_QUOTA,
      tag: 'redis-b',
    });
    // a key with a per-minute limit, to see the limits fall back to memory while Redis is away
    const limited = await a.client.tokens.create.mutate({ name: 'rpm', unlimitedQuota: true, rpmLimit: 5 });
    for (const k of [a.key, b.key, limited.key]) await waitForKey(relays, k);

    const load = steadyLoad(
      relays.flatMap((url) => [
        { url, key: a.key, userId: a.userId },
        { url, key: b.key, userId: b.userId },
      ]),
      { workers: 8, pauseMs: 10, model: 'gpt-4o-mini' },
    );
    await sleep(3000);
    const beforeOutage = load.total();
    await redis.stop();
    const outageStarted = Date.now();

    // the relays notice and check balances in process
    expect(
      await eventually(
        async () => (await metricValue(relays[0]!, 'tollgate_relay_balance_fallback')) === 1,
        5000,
      ),
    ).toBe(true);

    // limits fall back to an in-memory limiter per relay: 5 per minute still means 5 per minute
    const rpm = await Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(`${relays[1]}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${limited.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            max_tokens: 4,
            messages: [{ role: 'user', content: 'x' }],
          }),
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(rpm.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect(rpm.filter((s) => s === 200).length).toBeLessThanOrEqual(5);

    // a top-up while Redis is away: SQL at once, the Redis counter when Redis is back
    await admin.users.adjustBalance.mutate({
      userId: a.userId,
      amount: TOP_UP,
      reason: 'top-up during the outage',
    });

    // a config change made while Redis is away (no pub/sub) still reaches both relays from SQL
    const fresh = await b.client.tokens.create.mutate({ name: 'during', unlimitedQuota: true });
    await waitForKey(relays, fresh.key, 2000);

    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    const duringOutage = load.total() - beforeOutage;
    await redis.start();
    expect(
      await eventually(
        async () => (await metricValue(relays[0]!, 'tollgate_relay_balance_fallback')) === 0,
        10_000,
      ),
    ).toBe(true);
    await sleep(3000);
    const result = await load.stop();

    console.log(
      `[redis down ${OUTAGE_MS / 1000}s] answers: ${result.total} (${duringOutage} during the outage); failures: ${JSON.stringify(Object.fromEntries(result.failures))}; rpm key: ${rpm.join(',')}`,
    );
    // relays kept serving valid keys the whole time
    expect(duringOutage).toBeGreaterThan(100);
    expect(result.failures.size).toBe(0);

    // after Redis returns the books are exact: one log row per answer, balance = what the rows cost
    const expectRows = (c: Customer) => result.ok.get(c.userId) ?? 0;
    const settled = await eventually(async () => {
      const [ba, bb] = await Promise.all([booksOf(db, a.userId), booksOf(db, b.userId, b.tokenId)]);
      return ba.rows >= expectRows(a) && bb.rows >= expectRows(b);
    }, 20_000);
    expect(settled).toBe(true);
    await sleep(1500); // anything extra (a double charge) would land by now
    const ba = await booksOf(db, a.userId);
    const bb = await booksOf(db, b.userId, b.tokenId);
    // user a: the load's answers plus the rpm key's answers
    expect(ba.rows).toBe(expectRows(a) + rpm.filter((s) => s === 200).length);
    expect(bb.rows).toBe(expectRows(b));
    for (const [bk, paid] of [
      [ba, BALANCE + TOP_UP],
      [bb, BALANCE],
    ] as const) {
      expect(bk.logCost).toBeGreaterThan(0);
      expect(paid - bk.balance).toBe(bk.logCost);
      expect(bk.ledger).toBe(bk.balance);
    }
    expect(bb.tokenUsed).toBe(bb.logCost);
    expect(bb.tokenRemain).toBe(KEY_QUOTA - bb.logCost);

    // the hot counters in Redis agree with SQL again: nothing held, nothing pending, base = SQL
    const r = new Redis(redis.url);
    try {
      const names = redisNames(stack.env.TOLLGATE_REDIS_PREFIX);
      const counters = await eventually(async () => {
        const ua = await r.hgetall(names.userBalance(a.userId));
        const ub = await r.hgetall(names.userBalance(b.userId));
        const tb = await r.hgetall(names.tokenQuota(b.tokenId));
        return (
          [ua, ub, tb].every((h) => h.held === '0' && h.pending === '0') &&
          Number(ua.base) === ba.balance &&
          Number(ub.base) === bb.balance &&
          Number(tb.base) === bb.tokenRemain
        );
      }, 20_000);
      if (!counters)
        throw new Error(
          `Redis counters disagree with SQL: ${JSON.stringify({
            a: await r.hgetall(names.userBalance(a.userId)),
            b: await r.hgetall(names.userBalance(b.userId)),
            bKey: await r.hgetall(names.tokenQuota(b.tokenId)),
            sql: { a: ba.balance, b: bb.balance, bKey: bb.tokenRemain },
          })}`,
        );
    } finally {
      r.disconnect();
    }

    // pub/sub is back: a key disabled now is refused by both relays within a second
    await b.client.tokens.setStatus.mutate({ id: b.tokenId, status: 'disabled' });
    const t0 = Date.now();
    for (const url of relays) {
      const refused = await eventually(
        async () =>
          (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${b.key}` } })).status === 403,
        2000,
      );
      expect(refused).toBe(true);
    }
    expect(Date.now() - t0).toBeLessThan(1000);
  }, 180_000);

  it('a Redis that goes silent (process paused, connections open) counts as down after 2 s (command timeout)', async () => {
    const c: Customer = await newCustomer(stack.siteUrl, admin, {
      balance: BALANCE,
      keyQuota: KEY_QUOTA,
      tag: 'redis-silent',
    });
    await waitForKey(relays, c.key);
    const load = steadyLoad(
      relays.map((url) => ({ url, key: c.key, userId: c.userId })),
      { workers: 6, pauseMs: 10, model: 'gpt-4o-mini' },
    );
    await sleep(2000);
    redis.pause();
    const paused = load.total();
    await sleep(10_000);
    const servedWhilePaused = load.total() - paused;
    redis.resume();
    await sleep(4000);
    const result = await load.stop();
    console.log(
      `[redis silent 10s] answers ${result.total} (${servedWhilePaused} while paused); failures: ${JSON.stringify(Object.fromEntries(result.failures))}`,
    );
    expect(result.failures.size).toBe(0);
    expect(servedWhilePaused).toBeGreaterThan(50);

    const expected = result.ok.get(c.userId) ?? 0;
    const books = await settledBooks(db, c.userId, c.tokenId, expected);
    expect(books.rows).toBe(expected);
    expect(BALANCE - books.balance).toBe(books.logCost);
    expect(books.tokenRemain).toBe(KEY_QUOTA - books.logCost);

    // commands the relay gave up on may still have run when Redis woke up: the counters agree anyway
    const r = new Redis(redis.url);
    try {
      const names = redisNames(stack.env.TOLLGATE_REDIS_PREFIX);
      const agree = await eventually(async () => {
        const u = await r.hgetall(names.userBalance(c.userId));
        const t = await r.hgetall(names.tokenQuota(c.tokenId));
        return (
          [u, t].every((h) => h.held === '0' && h.pending === '0') &&
          Number(u.base) === books.balance &&
          Number(t.base) === books.tokenRemain
        );
      }, 20_000);
      if (!agree)
        throw new Error(
          `Redis counters disagree with SQL: ${JSON.stringify({
            user: await r.hgetall(names.userBalance(c.userId)),
            key: await r.hgetall(names.tokenQuota(c.tokenId)),
            sql: { user: books.balance, key: books.tokenRemain },
          })}`,
        );
    } finally {
      r.disconnect();
    }
  }, 120_000);
});
