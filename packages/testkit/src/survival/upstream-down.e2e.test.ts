import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { type Customer, newCustomer, servePricedModel, waitForKey } from '../harness/customers.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';
import { settledBooks, steadyLoad } from './load.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BALANCE = 1_000_000_000;

/**
 * Issue #8 / acceptance §7.3: one of two upstreams goes away under load — first answering 500s, then
 * refusing connections — and comes back. Clients see no error (each failed attempt is retried on the
 * other channel before anything reached the client), the failing channel is cooled down, and the books
 * are exact: one log row per answer, nothing billed for the failed attempts.
 */
describe('an upstream goes away under load (production, 2 relays, 2 channels)', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let stack: Stack;
  let db: Db;
  let admin: SiteClient;
  let relays: string[];

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startFakeUpstream({ defaults: { latencyMs: 10 }, maxLogEntries: 0 }),
      // B logs every request it receives: its failed answers are not in its served totals
      startFakeUpstream({ defaults: { latencyMs: 10 }, maxLogEntries: 100_000 }),
    ]);
    stack = await startStack(
      'production',
      {
        TOLLGATE_LOG_LEVEL: 'error',
        TOLLGATE_CHANNEL__COOLDOWN_SECONDS: '2',
        // cool-down only: auto-disable would keep B out until the scheduled channel test
        TOLLGATE_CHANNEL__AUTO_DISABLE_FAILURES: '0',
        TOLLGATE_CONNECT_TIMEOUT: '500',
      },
      { freeModels: false },
    );
    relays = [stack.relayUrl, (await stack.addRelay()).url];
    db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    await servePricedModel(admin, a.url, { name: 'A' });
    await servePricedModel(admin, b.url, { name: 'B' });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await stack?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('clients see no error; the failing channel is routed around; books exact', async () => {
    const cu: Customer = await newCustomer(stack.siteUrl, admin, { balance: BALANCE, tag: 'upstream-down' });
    await waitForKey(relays, cu.key);
    const load = steadyLoad(
      relays.map((url) => ({ url, key: cu.key, userId: cu.userId })),
      { workers: 6, pauseMs: 10, model: 'gpt-4o-mini' },
    );
    await sleep(2000);
    const bBefore = b.totals().requests;
    expect(bBefore).toBeGreaterThan(0); // both channels carry traffic

    // B answers 500 to everything…
    const bReceived = b.requests.length;
    b.setBehaviour({ fault: { status: 500 } });
    await sleep(4000);
    const bFailed = b.requests.length - bReceived;
    // …then refuses connections
    await b.stopListening();
    const aBeforeDown = a.totals().requests;
    await sleep(4000);
    const servedWhileDown = a.totals().requests - aBeforeDown;
    // and comes back
    b.resetBehaviour();
    await b.resumeListening();
    await sleep(4000);
    const bAfter = b.totals().requests;
    const result = await load.stop();

    console.log(
      `[upstream down] answers ${result.total}; B failed ${bFailed} attempts (all retried on A), A served ${servedWhileDown} while B refused connections; failures: ${JSON.stringify(Object.fromEntries(result.failures))}`,
    );
    expect(result.failures.size).toBe(0);
    expect(bFailed).toBeGreaterThan(0); // the failing channel was really tried…
    expect(servedWhileDown).toBeGreaterThan(50); // …and A carried the traffic
    expect(bAfter).toBeGreaterThan(bBefore); // B serves again once it is back (cool-down over)

    // nothing billed for failed attempts: one row per answer, balance = what the rows cost
    const books = await settledBooks(db, cu.userId, undefined, result.total);
    expect(books.rows).toBe(result.total);
    expect(BALANCE - books.balance).toBe(books.logCost);
    expect(books.ledger).toBe(books.balance);
  }, 120_000);
});
