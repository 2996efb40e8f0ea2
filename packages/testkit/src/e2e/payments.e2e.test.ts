import {
  type FakeLemonSqueezy,
  orderEvent,
  sign,
  startFakeLemonSqueezy,
} from '@tollgate/control-plane/testing/fake-lemonsqueezy.ts';
import { startSmtpSink } from '@tollgate/control-plane/testing/smtp-sink.ts';
import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { booksOf, newCustomer, waitForKey } from '../harness/customers.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SECRET = 'e2e-webhook-signing-secret';

/**
 * Payments through real processes (SPEC §6): the site creates a Lemon Squeezy checkout against a fake
 * API, the fake delivers the signed webhook to the site, the balance rises once and the relays let the
 * user through; replays, concurrent and forged deliveries change nothing; the low-balance e-mail goes
 * out once while requests keep the balance below the threshold.
 */
describe.each(['embedded', 'production'] as const)('payments end to end (%s)', (mode) => {
  let stack: Stack;
  let fake: FakeLemonSqueezy;
  let upstream: FakeUpstream;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let db: Db;
  let admin: SiteClient;
  let webhookUrl: string;

  beforeAll(async () => {
    [fake, upstream, smtp] = await Promise.all([
      startFakeLemonSqueezy(),
      startFakeUpstream(),
      startSmtpSink(),
    ]);
    stack = await startStack(
      mode,
      { TOLLGATE_LEMONSQUEEZY_API_URL: fake.url, TOLLGATE_LOW_BALANCE_CHECK_SECONDS: '1' },
      { freeModels: false },
    );
    db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    const view = await admin.payments.setSettings.mutate({
      enabled: true,
      apiKey: 'ls-e2e-api-key-0123456789abcdef',
      storeId: '777',
      variantId: '888',
      webhookSecret: SECRET,
      amounts: [500, 1000],
    });
    expect(JSON.stringify(view)).not.toContain(SECRET);
    webhookUrl = `${stack.siteUrl}${view.webhookPath}`;
    fake.configure({ webhookUrl, secret: SECRET });
    await admin.channels.create.mutate({
      name: 'up',
      baseUrl: upstream.url,
      keys: ['sk-up-1'],
      models: ['gpt-4o-mini'],
    });
    await admin.prices.set.mutate({ model: 'gpt-4o-mini', perCallPrice: 100_000 });
  });

  afterAll(async () => {
    await db?.close();
    await stack?.stop();
    await Promise.all([fake?.close(), upstream?.close(), smtp?.close()]);
  });

  async function post(body: string, signature: string | undefined) {
    const res = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature === undefined ? {} : { 'x-signature': signature }),
      },
      body,
    });
    return res.status;
  }

  it('checkout → signed webhook → credited once; the relay lets the user through', async () => {
    const c = await newCustomer(stack.siteUrl, admin, { balance: 0, tag: `pay-${mode}` });
    await waitForKey([stack.relayUrl], c.key);
    const openai = new OpenAI({ apiKey: c.key, baseURL: `${stack.relayUrl}/v1`, maxRetries: 0 });
    const call = () =>
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await expect(call()).rejects.toMatchObject({ code: 'insufficient_balance' });

    const checkout = await c.client.payments.checkout.mutate({ amountCents: 1000, origin: stack.siteUrl });
    const recorded = fake.checkouts.at(-1)!;
    expect(checkout.url).toBe(`${fake.url}/checkout/${recorded.id}`);
    expect(recorded.authorization).toBe('Bearer ls-e2e-api-key-0123456789abcdef');
    expect(recorded.body.data.relationships.variant.data.id).toBe('888');
    expect(recorded.body.data.relationships.store.data.id).toBe('777');
    expect(recorded.body.data.attributes.custom_price).toBe(1000);
    expect(recorded.body.data.attributes.checkout_data?.custom).toEqual({
      topup_id: String(checkout.topupId),
      user_id: String(c.userId),
    });
    expect((await c.client.payments.topup.query({ id: checkout.topupId })).topup.status).toBe('pending');

    const orderId = 5_000_000 + Math.floor(Math.random() * 1e6);
    expect(await fake.pay(recorded.id, orderId)).toBe(200);
    const status = await c.client.payments.topup.query({ id: checkout.topupId });
    expect(status.topup.status).toBe('paid');
    expect(status.balance).toBe(5_000_000);

    // replays and concurrent deliveries of the same order change nothing
    const body = JSON.stringify(
      orderEvent('order_created', {
        orderId,
        custom: recorded.body.data.attributes.checkout_data?.custom,
        total: 1000,
      }),
    );
    const statuses = await Promise.all(Array.from({ length: 5 }, () => post(body, sign(SECRET, body))));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    // forged, unsigned, tampered, malformed: refused
    expect(await post(body, sign('not-the-secret', body))).toBe(401);
    expect(await post(body, undefined)).toBe(401);
    expect(await post(body.replace('"total":1000', '"total":99999'), sign(SECRET, body))).toBe(401);
    expect(await post('{not json', sign(SECRET, '{not json'))).toBe(400);
    const books = await booksOf(db, c.userId);
    expect(books.balance).toBe(5_000_000);
    expect(books.ledger).toBe(5_000_000);

    // the relay sees the new balance (Redis counter in production, config change in embedded)
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await call().then(
        () => true,
        () => false,
      );
      if (!ok) await sleep(100);
    }
    expect(ok).toBe(true);

    // a full refund takes the quota back: the balance goes negative and the relay refuses again
    const refund = JSON.stringify(
      orderEvent('order_refunded', {
        orderId,
        custom: recorded.body.data.attributes.checkout_data?.custom,
        total: 1000,
      }),
    );
    expect(
      await Promise.all([post(refund, sign(SECRET, refund)), post(refund, sign(SECRET, refund))]),
    ).toEqual([200, 200]);
    await sleep(1500);
    const after = await booksOf(db, c.userId);
    expect(after.balance).toBe(-100_000);
    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      refused = await call().then(
        () => false,
        (e: { code?: string }) => e.code === 'insufficient_balance',
      );
      if (!refused) await sleep(100);
    }
    expect(refused).toBe(true);
  });

  it('an order naming an unknown top-up is recorded and alerted, not credited', async () => {
    const orderId = 9_000_000 + Math.floor(Math.random() * 1e6);
    const body = JSON.stringify(
      orderEvent('order_created', { orderId, custom: { topup_id: '99999999', user_id: '1' }, total: 500 }),
    );
    expect(await post(body, sign(SECRET, body))).toBe(200);
    const events = await admin.payments.events.query({ limit: 20 });
    expect(events.find((e) => e.externalId === String(orderId))?.outcome).toBe('unknown');
    const alert = await db.db
      .selectFrom('alertEvents')
      .select(['kind', 'state'])
      .where('subject', '=', `ls:order:${orderId}`)
      .execute();
    expect(alert).toEqual([{ kind: 'payment_unknown', state: 'fired' }]);
  });

  it('the low-balance e-mail goes out once while many requests keep the balance below the threshold', async () => {
    await admin.payments.setSmtp.mutate({
      enabled: true,
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      from: 'billing@tollgate.test',
    });
    const c = await newCustomer(stack.siteUrl, admin, { balance: 1_000_000, tag: `low-${mode}` });
    await c.client.payments.setThreshold.mutate({ threshold: 650_000 });
    await waitForKey([stack.relayUrl], c.key);
    const openai = new OpenAI({ apiKey: c.key, baseURL: `${stack.relayUrl}/v1`, maxRetries: 0 });
    const email = (
      await db.db.selectFrom('users').select('email').where('id', '=', c.userId).executeTakeFirstOrThrow()
    ).email;
    const mine = () => smtp.messages.filter((m) => m.to.includes(email));
    // 10 calls of 100,000 units: below 650,000 after the 4th, the job runs every second meanwhile
    for (let i = 0; i < 10; i++) {
      await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${i}` }] })
        .catch(() => undefined);
      await sleep(300);
    }
    for (let i = 0; i < 50 && mine().length === 0; i++) await sleep(100);
    await sleep(2500);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.raw).toContain('your balance is low');
    expect((await c.client.payments.balance.query()).low).toBe(true);
  });
});
