import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { booksOf, newCustomer, servePricedModel, waitForKey } from '../harness/customers.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Relay stops under load (issue: billing, restart): SIGTERM finishes in-flight requests and writes
 * every settlement before exit; kill -9 loses at most what was not yet flushed (embedded: the last
 * flush interval; Redis: nothing, another relay writes the dead relay's settlements).
 */
describe.each(['embedded', 'production'] as const)('relay restart under load (%s)', (mode) => {
  let stack: Stack;
  let up: FakeUpstream;
  let db: Db;
  let admin: SiteClient;
  const agent = new Agent({ connections: 50 });

  beforeAll(async () => {
    // 40 ms per answer keeps requests in flight when the relay is stopped
    up = await startFakeUpstream({ defaults: { latencyMs: 40 }, maxLogEntries: 0 });
    stack = await startStack(
      mode,
      { TOLLGATE_SETTLEMENT_CLAIM_IDLE_SECONDS: '1', TOLLGATE_LOG_LEVEL: 'error' },
      { freeModels: false },
    );
    db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    await servePricedModel(admin, up.url);
  });
  afterAll(async () => {
    await agent.close();
    await db?.close();
    await stack?.stop();
    await up?.close();
  });

  const customer = () => newCustomer(stack.siteUrl, admin, { balance: 1_000_000_000, tag: 'restart' });

  /** Fires requests at `url` with 50 connections until `stop()`; counts the 200s it saw. */
  function load(url: string, key: string) {
    let running = true;
    let ok = 0;
    const done = Promise.all(
      Array.from({ length: 50 }, async () => {
        while (running) {
          try {
            const res = await request(`${url}/v1/chat/completions`, {
              method: 'POST',
              dispatcher: agent,
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                model: 'gpt-4o-mini',
                max_tokens: 20,
                messages: [{ role: 'user', content: 'hi' }],
              }),
            });
            await res.body.dump();
            if (res.statusCode === 200) ok++;
          } catch {
            await sleep(20);
          }
        }
      }),
    );
    return {
      stop: async () => {
        running = false;
        await done;
        return ok;
      },
    };
  }

  const books = async (userId: number) => {
    const b = await booksOf(db, userId);
    return { balance: b.balance, rows: b.rows, cost: b.logCost };
  };

  it('SIGTERM under load loses nothing: every answer the upstream served has its log row', async () => {
    const cu = await customer();
    const relay = await stack.addRelay();
    await waitForKey([relay.url], cu.key);
    up.reset();
    const l = load(relay.url, cu.key);
    await sleep(1500);
    const code = await relay.process.stop('SIGTERM');
    const ok = await l.stop();
    expect(code).toBe(0);
    const served = up.totals().requests;
    expect(served).toBeGreaterThan(20);
    // the relay wrote everything before it exited: no waiting here
    const bk = await books(cu.userId);
    expect(bk.rows).toBe(served);
    expect(ok).toBeLessThanOrEqual(served);
    expect(1_000_000_000 - bk.balance).toBe(bk.cost);
  });

  it('kill -9 under load: what is lost is bounded; a restart reconciles from SQL', async () => {
    const cu = await customer();
    const relay = await stack.addRelay();
    await waitForKey([relay.url], cu.key);
    up.reset();
    const l = load(relay.url, cu.key);
    await sleep(1500);
    await relay.process.stop('SIGKILL');
    const ok = await l.stop();
    const served = up.totals().requests;
    // production: another relay takes over the dead relay's settlements from Redis
    let bk = await books(cu.userId);
    for (let i = 0; mode === 'production' && i < 50 && bk.rows < served; i++) {
      await sleep(200);
      bk = await books(cu.userId);
    }
    const lost = served - bk.rows;
    console.log(
      `[kill -9 ${mode}] upstream served ${served}, client got ${ok} answers, logged ${bk.rows}, lost ${lost}`,
    );
    if (mode === 'production') {
      // settlements are in Redis the moment they happen: every answer a client received is billed; only
      // the requests in flight at the kill (≤ 50 connections, never answered to the client) are not
      expect(bk.rows).toBeGreaterThanOrEqual(ok);
      expect(lost).toBeLessThanOrEqual(50);
    } else {
      // embedded: additionally the settlements not yet flushed (at most the last flush interval, 1 s)
      expect(lost).toBeGreaterThanOrEqual(0);
      expect(lost).toBeLessThan(served);
    }
    // whatever was written is consistent, and a restarted relay bills on from SQL
    expect(1_000_000_000 - bk.balance).toBe(bk.cost);
    const again = await stack.addRelay();
    await waitForKey([again.url], cu.key);
    const res = await fetch(`${again.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cu.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'after restart' }] }),
    });
    expect(res.status).toBe(200);
    await again.process.stop('SIGTERM');
    const after = await books(cu.userId);
    expect(after.rows).toBe(bk.rows + 1);
    expect(1_000_000_000 - after.balance).toBe(after.cost);
  });
});
