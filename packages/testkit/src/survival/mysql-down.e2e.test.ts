import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { booksOf, type Customer, newCustomer, servePricedModel, waitForKey } from '../harness/customers.ts';
import { type PrivateMariaDb, startPrivateMariaDb } from '../harness/private-services.ts';
import { type HttpReceiver, startHttpReceiver } from '../harness/receivers.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';
import { eventually, metricValue, steadyLoad } from './load.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BALANCE = 1_000_000_000;
const KEY_QUOTA = 400_000_000;
const OUTAGE_MS = Number(process.env.TOLLGATE_TEST_OUTAGE_MS ?? 30_000);
/** small, so the 30 s outage reaches the bound and the refusal is seen */
const BACKLOG_MAX = 600;

/**
 * Issue #8, survival: MySQL (a private MariaDB of this test) stopped for 30 s under load. Relays keep
 * serving from their snapshots; settlements (the log rows) wait in the Redis stream, which is bounded:
 * at `settlement_backlog_max` new requests are refused with 503 `billing_unavailable` (never served
 * unbilled); the backlog is a metric. When MySQL returns everything is written — nothing lost.
 */
describe('MySQL stopped for 30 s under load (production, 2 relays)', () => {
  let mysql: PrivateMariaDb;
  let up: FakeUpstream;
  let stack: Stack;
  let db: Db;
  let admin: SiteClient;
  let relays: string[];
  let hook: HttpReceiver;

  beforeAll(async () => {
    mysql = await startPrivateMariaDb();
    up = await startFakeUpstream({ defaults: { latencyMs: 15 }, maxLogEntries: 0 });
    stack = await startStack(
      'production',
      {
        TOLLGATE_LOG_LEVEL: 'error',
        TOLLGATE_SETTLEMENT_BACKLOG_MAX: String(BACKLOG_MAX),
        TOLLGATE_ALERTS_INTERVAL_SECONDS: '1',
      },
      { freeModels: false, mysqlUrl: mysql.serverUrl },
    );
    relays = [stack.relayUrl, (await stack.addRelay()).url];
    db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    await servePricedModel(admin, up.url);
    // the operator's alert on the settlement backlog, to a webhook
    hook = await startHttpReceiver();
    const channel = await admin.alerts.createChannel.mutate({
      name: 'ops hook',
      type: 'webhook',
      config: { url: hook.url },
    });
    await admin.alerts.createRule.mutate({
      kind: 'settlement_backlog',
      name: 'Settlement backlog',
      params: { thresholdEntries: BACKLOG_MAX / 3 },
      cooldownSeconds: 3600,
      notificationChannelIds: [channel.id],
    });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await stack?.stop();
    await up?.close();
    await mysql?.destroy();
    await hook?.close();
  });

  it('serves from the snapshot, buffers settlements up to the bound, writes them all when it returns', async () => {
    const a: Customer = await newCustomer(stack.siteUrl, admin, { balance: BALANCE, tag: 'mysql-a' });
    const b: Customer = await newCustomer(stack.siteUrl, admin, {
      balance: BALANCE,
      keyQuota: KEY_QUOTA,
      tag: 'mysql-b',
    });
    for (const k of [a.key, b.key]) await waitForKey(relays, k);
    await sleep(1500); // the alert engine has evaluated (and cached) the rules at least once
    const load = steadyLoad(
      relays.flatMap((url) => [
        { url, key: a.key, userId: a.userId },
        { url, key: b.key, userId: b.userId },
      ]),
      { workers: 4, pauseMs: 20, model: 'gpt-4o-mini' },
    );
    await sleep(2000);
    await mysql.stop();
    const outageStarted = Date.now();
    const servedBefore = load.total();

    // the backlog grows (a metric) until the bound, then new requests are refused, not served unbilled
    let peak = 0;
    const sawBound = await eventually(async () => {
      peak = Math.max(peak, (await metricValue(relays[0]!, 'tollgate_relay_settlement_backlog')) ?? 0);
      return (load.failures().get('503 billing_unavailable') ?? 0) > 0;
    }, OUTAGE_MS);
    expect(sawBound).toBe(true);
    expect(peak).toBeGreaterThan(0);
    const servedDuring = load.total() - servedBefore;
    // the operators hear of it while MySQL is still down (the engine works from its cached rules)
    const alerted = await hook.waitFor(1, 10_000);
    expect(JSON.stringify(alerted[0]?.json)).toContain('Settlement backlog');
    // the relays stay ready: they serve from their snapshot
    for (const url of relays) expect((await fetch(`${url}/readyz`)).status).toBe(200);

    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    const refusedDuring = load.failures().get('503 billing_unavailable') ?? 0;
    await mysql.start();
    // the backlog drains and requests are served again
    const drained = await eventually(
      async () => (await metricValue(relays[0]!, 'tollgate_relay_settlement_backlog')) === 0,
      30_000,
    );
    expect(drained).toBe(true);
    const afterReturn = load.total();
    await sleep(3000);
    const result = await load.stop();
    expect(result.total).toBeGreaterThan(afterReturn);

    console.log(
      `[mysql down ${OUTAGE_MS / 1000}s] answers: ${result.total} (${servedDuring} during the outage, backlog peak ${peak}, bound ${BACKLOG_MAX}); refused during: ${refusedDuring}; failures: ${JSON.stringify(Object.fromEntries(result.failures))}`,
    );
    // the only failures are the bound's clear refusals
    expect([...result.failures.keys()]).toEqual(['503 billing_unavailable']);
    expect(servedDuring).toBeGreaterThanOrEqual(BACKLOG_MAX / 2);

    // nothing lost: one log row per answer, balances and key quota exact
    const expectRows = (c: Customer) => result.ok.get(c.userId) ?? 0;
    const written = await eventually(async () => {
      const [ba, bb] = await Promise.all([booksOf(db, a.userId), booksOf(db, b.userId)]);
      return ba.rows >= expectRows(a) && bb.rows >= expectRows(b);
    }, 20_000);
    expect(written).toBe(true);
    await sleep(1500);
    const ba = await booksOf(db, a.userId);
    const bb = await booksOf(db, b.userId, b.tokenId);
    expect(ba.rows).toBe(expectRows(a));
    expect(bb.rows).toBe(expectRows(b));
    for (const bk of [ba, bb]) {
      expect(bk.logCost).toBeGreaterThan(0);
      expect(BALANCE - bk.balance).toBe(bk.logCost);
      expect(bk.ledger).toBe(bk.balance);
    }
    expect(bb.tokenUsed).toBe(bb.logCost);
    expect(bb.tokenRemain).toBe(KEY_QUOTA - bb.logCost);
  }, 180_000);
});
