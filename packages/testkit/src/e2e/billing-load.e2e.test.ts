import { createDb, type Db, num } from '@tollgate/shared/db/index.ts';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Customer {
  userId: number;
  key: string;
  tokenId: number;
  topup: number;
  /** requests that got past the hold (each must leave exactly one log row) */
  finished: number;
  refused: number;
}

type Kind = 'plain' | 'stream' | 'abort' | 'bad' | 'fail';

/**
 * The accounting invariant under load (SPEC §5): many connections, mixed traffic (streams, aborted
 * streams, failover, upstream 4xx, refusals for balance) through every relay; afterwards, per user:
 * log rows = finished requests, Σ log costs = balance change = key used quota, exactly.
 */
describe.each([
  { mode: 'production' as const, batch: false, relays: 2, requests: 5000 },
  { mode: 'production' as const, batch: true, relays: 2, requests: 5000 },
  { mode: 'embedded' as const, batch: false, relays: 1, requests: 2000 },
])(
  'accounting under load ($mode, batch=$batch, $relays relays, $requests requests)',
  ({ mode, batch, relays, requests }) => {
    let stack: Stack;
    let a: FakeUpstream;
    let b: FakeUpstream;
    let db: Db;
    let admin: SiteClient;
    const urls: string[] = [];
    const agent = new Agent({ connections: 200, pipelining: 1 });

    beforeAll(async () => {
      [a, b] = await Promise.all([
        startFakeUpstream({ maxLogEntries: 0 }),
        startFakeUpstream({ maxLogEntries: 0 }),
      ]);
      stack = await startStack(
        mode,
        {
          TOLLGATE_BATCH_UPDATE_ENABLED: String(batch),
          TOLLGATE_CHANNEL__COOLDOWN_SECONDS: '0',
          TOLLGATE_CHANNEL__AUTO_DISABLE_FAILURES: '0',
          TOLLGATE_LOG_LEVEL: 'error',
        },
        { freeModels: false },
      );
      urls.push(stack.relayUrl);
      for (let i = 1; i < relays; i++) urls.push((await stack.addRelay()).url);
      db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
      admin = siteClient(stack.siteUrl);
      await admin.auth.login.mutate(stack.admin);
      await admin.channels.create.mutate({
        name: 'A',
        baseUrl: a.url,
        keys: ['sk-a-0001'],
        models: ['gpt-4o-mini', 'fake-*'],
        priority: 10,
      });
      await admin.channels.create.mutate({
        name: 'B',
        baseUrl: b.url,
        keys: ['sk-b-0002'],
        models: ['gpt-4o-mini', 'fake-*'],
      });
      await admin.prices.set.mutate({ model: 'gpt-4o-mini', inputPrice: 100_000, outputPrice: 300_000 });
      await admin.prices.set.mutate({ model: 'fake-*', inputPrice: 100_000, outputPrice: 300_000 });
    });
    afterAll(async () => {
      await agent.close();
      await db?.close();
      await stack?.stop();
      await Promise.all([a?.close(), b?.close()]);
    });

    async function customer(topup: number, limited: boolean): Promise<Customer> {
      const c = siteClient(stack.siteUrl);
      const { userId } = await c.auth.register.mutate({
        email: `load-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`,
        password: 'load-pass-123',
      });
      if (topup) await admin.users.adjustBalance.mutate({ userId, amount: topup, reason: 'load test' });
      const { key, token } = await c.tokens.create.mutate({
        name: 'k',
        unlimitedQuota: !limited,
        remainQuota: limited ? 100_000_000 : 0,
      });
      return { userId, key, tokenId: token.id, topup, finished: 0, refused: 0 };
    }

    async function call(url: string, cu: Customer, kind: Kind): Promise<void> {
      const stream = kind === 'stream' || kind === 'abort';
      const model = kind === 'bad' ? 'fake-fail-400' : 'gpt-4o-mini';
      const ac = new AbortController();
      try {
        const res = await request(`${url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          signal: ac.signal,
          headers: { authorization: `Bearer ${cu.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model,
            stream,
            max_tokens: 20,
            messages: [{ role: 'user', content: `load test ${kind}` }],
          }),
        });
        if (res.statusCode === 402 || res.statusCode === 429) {
          const body = (await res.body.json()) as { error: { code: string } };
          if (body.error.code !== 'insufficient_balance' && body.error.code !== 'insufficient_quota')
            throw new Error(body.error.code);
          cu.refused++;
          return;
        }
        cu.finished++;
        if (kind === 'abort') {
          for await (const _ of res.body) {
            ac.abort();
            break;
          }
          res.body.destroy();
          return;
        }
        await res.body.dump({ limit: 10_000_000 });
      } catch (err) {
        if (kind !== 'abort') throw err;
      }
    }

    it('keeps the books exact for every user and key', async () => {
      const rich = await Promise.all(
        Array.from({ length: 12 }, (_, i) => customer(1_000_000_000, i % 3 === 0)),
      );
      // balances for a handful of requests: they run out and get refused cleanly
      const poor = await Promise.all(Array.from({ length: 4 }, () => customer(60, false)));
      const all = [...rich, ...poor];
      // wait until every relay knows every key
      for (const url of urls) {
        for (const cu of all) {
          for (
            let i = 0;
            i < 100 &&
            (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${cu.key}` } })).status !==
              200;
            i++
          )
            await sleep(20);
        }
      }
      // ~10% of the requests that reach channel A fail over to B
      a.queueFaults(Array.from({ length: Math.floor(requests / 10) }, () => ({ status: 503 })));
      const kinds: Kind[] = [
        'plain',
        'plain',
        'plain',
        'plain',
        'stream',
        'stream',
        'stream',
        'abort',
        'bad',
        'fail',
      ];
      let next = 0;
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 200 }, async () => {
          while (next < requests) {
            const i = next++;
            const cu = all[i % all.length]!;
            await call(urls[i % urls.length]!, cu, kinds[i % kinds.length]!);
          }
        }),
      );
      const elapsed = Date.now() - started;
      const finished = all.reduce((s, c) => s + c.finished, 0);
      expect(finished + all.reduce((s, c) => s + c.refused, 0)).toBe(requests);
      expect(poor.every((c) => c.refused > 0)).toBe(true);

      // every settlement reaches SQL
      const deadline = Date.now() + 30_000;
      let rows = 0;
      while (Date.now() < deadline) {
        rows = num(
          (
            await db.db
              .selectFrom('logs')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('kind', '=', 'usage')
              .executeTakeFirstOrThrow()
          ).n,
        );
        if (rows >= finished) break;
        await sleep(200);
      }
      expect(rows).toBe(finished);
      for (const cu of all) {
        const user = await db.db
          .selectFrom('users')
          .select(['balance', 'usedQuota'])
          .where('id', '=', cu.userId)
          .executeTakeFirstOrThrow();
        const token = await db.db
          .selectFrom('tokens')
          .select(['usedQuota'])
          .where('id', '=', cu.tokenId)
          .executeTakeFirstOrThrow();
        const logs = await db.db
          .selectFrom('logs')
          .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('cost').as('cost')])
          .where('userId', '=', cu.userId)
          .where('kind', '=', 'usage')
          .executeTakeFirstOrThrow();
        const ledger = await db.db
          .selectFrom('ledger')
          .select((eb) => eb.fn.sum('amount').as('s'))
          .where('userId', '=', cu.userId)
          .executeTakeFirstOrThrow();
        const cost = num(logs.cost);
        expect({ user: cu.userId, rows: num(logs.n) }).toEqual({ user: cu.userId, rows: cu.finished });
        expect(cu.topup - Number(user.balance)).toBe(cost);
        expect(Number(user.usedQuota)).toBe(cost);
        expect(Number(token.usedQuota)).toBe(cost);
        expect(num(ledger.s)).toBe(Number(user.balance));
        // overspend bounded by one hold
        expect(Number(user.balance)).toBeGreaterThanOrEqual(-20);
      }
      console.log(
        `[load ${mode} batch=${batch}] ${requests} requests, ${finished} finished, ${elapsed} ms (${Math.round((requests / elapsed) * 1000)} req/s)`,
      );
    });
  },
);
