import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { booksOf, newCustomer, waitForKey } from '../harness/customers.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Exact billing through real processes (SPEC §5): prices, holds, settlement, one log row per finished
 * request, and balance = top-ups − Σ log costs = key used quota — on both storage modes, two relays in
 * production mode.
 */
describe.each(['embedded', 'production'] as const)('billing end to end (%s)', (mode) => {
  let stack: Stack;
  let a: FakeUpstream;
  let b: FakeUpstream;
  let db: Db;
  let admin: SiteClient;
  let relay2: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
    stack = await startStack(
      mode,
      {
        TOLLGATE_CHANNEL__COOLDOWN_SECONDS: '0',
        TOLLGATE_CHANNEL__AUTO_DISABLE_FAILURES: '0',
        // a small default hold, so the long stream test has to extend it
        TOLLGATE_HOLD_DEFAULT_COMPLETION_TOKENS: '50',
      },
      { freeModels: false },
    );
    relay2 = mode === 'production' ? (await stack.addRelay()).url : stack.relayUrl;
    db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    await admin.channels.create.mutate({
      name: 'A',
      baseUrl: a.url,
      keys: ['sk-a-000001'],
      models: ['gpt-4o-mini', 'no-price'],
      priority: 10,
    });
    await admin.channels.create.mutate({
      name: 'B',
      baseUrl: b.url,
      keys: ['sk-b-000002'],
      models: ['gpt-4o-mini'],
      priority: 0,
    });
    // 1,000 units per 1M input tokens, 2,000 per 1M output: tiny calls cost a few units
    await admin.prices.set.mutate({ model: 'gpt-4o-mini', inputPrice: 100_000, outputPrice: 200_000 });
  });
  afterAll(async () => {
    await db?.close();
    await stack?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });

  async function customer(balance: number, keyQuota?: number) {
    const c = await newCustomer(stack.siteUrl, admin, { balance, keyQuota, tag: `bill-${mode}` });
    const urls = [stack.relayUrl, relay2];
    await waitForKey(urls, c.key);
    return {
      ...c,
      clients: urls.map((url) => new OpenAI({ apiKey: c.key, baseURL: `${url}/v1`, maxRetries: 0 })),
    };
  }

  async function settled(userId: number, expectedRows: number) {
    for (let i = 0; i < 100; i++) {
      if ((await booksOf(db, userId)).rows >= expectedRows) return;
      await sleep(100);
    }
    throw new Error('settlements did not reach SQL');
  }

  const books = (userId: number, tokenId: number) => booksOf(db, userId, tokenId);

  it('charges exactly: non-stream, streams with and without usage, aborted stream, failover, 4xx; books balance', async () => {
    const c = await customer(1_000_000);
    const [r1, r2] = c.clients as [OpenAI, OpenAI];
    // 1. non-stream: prompt ceil(chars/4), 10 completion tokens
    const plain = await r1.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello' }],
    });
    const expected1 = Math.ceil(
      (plain.usage!.prompt_tokens * 100_000 + plain.usage!.completion_tokens * 200_000) / 1_000_000,
    );
    // 2. stream with the upstream's usage chunk
    for await (const _ of await r2.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })) {
      // drain
    }
    // 3. stream without any usage from the upstream: the tokenizer counts the streamed text
    a.setBehaviour({ omitUsage: true, chunks: 200 });
    for await (const _ of await r1.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    })) {
      // drain
    }
    a.resetBehaviour();
    // 4. a client that aborts a slow stream pays for what was produced
    a.setBehaviour({ chunks: 50, chunkDelayMs: 20 });
    const ac = new AbortController();
    const slow = await r1.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: true },
      { signal: ac.signal },
    );
    let got = 0;
    await (async () => {
      for await (const ch of slow) {
        if (ch.choices[0]?.delta.content) got++;
        if (got === 5) ac.abort();
      }
    })().catch(() => undefined);
    a.resetBehaviour();
    // 5. failover: one request, one row naming both channels
    a.queueFaults([{ status: 503 }]);
    await r1.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'failover' }],
    });
    // 6. an upstream 400 costs nothing but is logged
    a.queueFaults([{ status: 400 }]);
    await r1.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }).catch(() => undefined);
    // 7. a model without a price is refused before any upstream call, and not logged
    const before = a.requests.length;
    const noPrice = await r1.chat.completions
      .create({ model: 'no-price', messages: [] })
      .catch((e: unknown) => e);
    expect((noPrice as InstanceType<typeof OpenAI.APIError>).code).toBe('model_price_not_set');
    expect(a.requests.length).toBe(before);

    await settled(c.userId, 6);
    const rows = await db.db
      .selectFrom('logs')
      .select([
        'model',
        'promptTokens',
        'completionTokens',
        'cost',
        'statusCode',
        'errorCode',
        'isStream',
        'triedChannels',
        'note',
        'channelId',
      ])
      .where('userId', '=', c.userId)
      .where('kind', '=', 'usage')
      // request order: with two relays flushing, row ids follow the flushes, not the requests
      .orderBy('createdAt')
      .orderBy('id')
      .execute();
    expect(rows).toHaveLength(6);
    expect(rows[0]!.cost).toBe(expected1);
    expect(rows[1]!.isStream).toBe(1);
    expect(rows[1]!.completionTokens).toBe(10);
    // tokenizer fallback within 2% of what the upstream truly produced
    expect(Math.abs(rows[2]!.completionTokens - 200) / 200).toBeLessThanOrEqual(0.02);
    expect(rows[2]!.note).toContain('tokenizer');
    expect(rows[3]!.errorCode).toBe('client_aborted');
    expect(rows[3]!.completionTokens).toBeGreaterThanOrEqual(5);
    expect(rows[3]!.completionTokens).toBeLessThan(50);
    expect(rows[3]!.cost).toBeGreaterThan(0);
    expect(rows[4]!.triedChannels?.split(',')).toHaveLength(2);
    expect(rows[4]!.statusCode).toBe(200);
    expect(rows[5]!.cost).toBe(0);
    expect(rows[5]!.statusCode).toBe(400);

    const bk = await books(c.userId, c.tokenId);
    expect(bk.rows).toBe(6);
    expect(bk.balance).toBe(1_000_000 - bk.logCost);
    expect(bk.ledger).toBe(bk.balance);
    expect(bk.userUsed).toBe(bk.logCost);
    expect(bk.tokenUsed).toBe(bk.logCost);
  });

  it('refuses cleanly when the balance or the key quota cannot cover the hold', async () => {
    const poor = await customer(0);
    const e1 = await poor.clients[0]!.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }).catch(
      (e: unknown) => e,
    );
    expect((e1 as InstanceType<typeof OpenAI.APIError>).code).toBe('insufficient_balance');
    const capped = await customer(1_000_000, 10);
    const e2 = await capped.clients[0]!.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      max_tokens: 1000,
    }).catch((e: unknown) => e);
    expect((e2 as InstanceType<typeof OpenAI.APIError>).code).toBe('insufficient_quota');
  });

  it('no overspend: 100 parallel requests on a balance for 10, through every relay', async () => {
    // with max_tokens 10 the hold (prompt by tokenizer + 10 completion tokens) and the cost are both 3 units
    const c = await customer(30);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        c.clients[i % c.clients.length]!.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 10,
        })
          .then(() => 'ok' as const)
          .catch((e: unknown) => (e as InstanceType<typeof OpenAI.APIError>).code ?? 'error'),
      ),
    );
    const ok = results.filter((r) => r === 'ok').length;
    expect(results.filter((r) => r !== 'ok').every((r) => r === 'insufficient_balance')).toBe(true);
    await settled(c.userId, ok);
    const bk = await books(c.userId, c.tokenId);
    expect(bk.rows).toBe(ok);
    expect(bk.logCost).toBe(ok * 3);
    // requests never run ahead of the balance: 10 fit, released holds may admit a few more only if cheaper
    expect(ok).toBe(10);
    expect(bk.balance).toBe(0);
  });

  it('a stream that outgrows its hold is cut when the balance cannot cover more; never overspent', async () => {
    // 0.2 units per output token: 30 units cover the prompt and roughly 100 more tokens after extensions
    const c = await customer(30);
    a.setBehaviour({ chunks: 500, chunkDelayMs: 1 });
    try {
      const stream = await c.clients[0]!.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'long' }],
        stream: true,
      });
      let chunks = 0;
      const err = await (async () => {
        for await (const ch of stream) if (ch.choices[0]?.delta.content) chunks++;
      })().catch((e: unknown) => e);
      expect((err as InstanceType<typeof OpenAI.APIError>)?.message ?? '').toContain('balance');
      expect(chunks).toBeGreaterThanOrEqual(50);
      expect(chunks).toBeLessThan(500);
      await settled(c.userId, 1);
      const bk = await books(c.userId, c.tokenId);
      expect(bk.balance).toBeGreaterThanOrEqual(0);
      expect(bk.balance).toBe(30 - bk.logCost);
      const row = await db.db
        .selectFrom('logs')
        .select(['errorCode', 'completionTokens'])
        .where('userId', '=', c.userId)
        .where('kind', '=', 'usage')
        .executeTakeFirstOrThrow();
      expect(row.errorCode).toBe('insufficient_balance');
      expect(row.completionTokens).toBe(chunks);
    } finally {
      a.resetBehaviour();
    }
  });
});
