import { num } from '@tollgate/shared/db/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeLemonSqueezy,
  orderEvent,
  sign,
  startFakeLemonSqueezy,
} from '../../testing/fake-lemonsqueezy.ts';
import {
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  rid,
  type SignedInUser,
  type TestDeps,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { setSettings } from '../settings/settings.service.ts';
import { setPaymentSettings } from './payments.settings.ts';
import { bonusPercent, quotaFor } from './topups.service.ts';
import { lemonSqueezyWebhookResponse, verifySignature } from './webhook.ts';

const API_KEY = `ls-api-key-${'x'.repeat(40)}`;
const SECRET = 'whsec-signing-secret-1234';
const ORIGIN = 'http://127.0.0.1:3001';

describe('quota for an amount', () => {
  it('is cents × rate / 100 plus the highest bonus tier reached, in integers', () => {
    const tiers = [
      { minCents: 1000, bonusPercent: 5 },
      { minCents: 5000, bonusPercent: 10 },
    ];
    expect(bonusPercent(tiers, 999)).toBe(0);
    expect(bonusPercent(tiers, 1000)).toBe(5);
    expect(bonusPercent(tiers, 7000)).toBe(10);
    expect(quotaFor({ bonusTiers: [] }, 500_000, 500)).toEqual({
      base: 2_500_000,
      bonus: 0,
      total: 2_500_000,
    });
    expect(quotaFor({ bonusTiers: tiers }, 500_000, 5000).total).toBe(27_500_000);
    expect(quotaFor({ bonusTiers: [] }, 3, 101)).toEqual({ base: 3, bonus: 0, total: 3 });
  });

  it('verifySignature accepts only the hex HMAC of the exact body', () => {
    const body = Buffer.from('{"a":1}');
    const good = sign(SECRET, '{"a":1}');
    expect(verifySignature(SECRET, body, good)).toBe(true);
    expect(verifySignature(SECRET, body, good.toUpperCase())).toBe(true);
    expect(verifySignature(SECRET, Buffer.from('{"a":2}'), good)).toBe(false);
    expect(verifySignature('other-secret', body, good)).toBe(false);
    expect(verifySignature(SECRET, body, null)).toBe(false);
    expect(verifySignature(SECRET, body, good.slice(0, 63))).toBe(false);
    expect(verifySignature(SECRET, body, `${good}00`)).toBe(false);
  });
});

describe.each(DB_KINDS)('payments on %s', (kind) => {
  let deps: TestDeps;
  let fake: FakeLemonSqueezy;

  beforeAll(async () => {
    fake = await startFakeLemonSqueezy();
    deps = await createTestDeps({ kind, config: { lemonsqueezy_api_url: fake.url } });
    await setPaymentSettings(deps, {
      enabled: true,
      apiKey: API_KEY,
      storeId: '12',
      variantId: '34',
      webhookSecret: SECRET,
      amounts: [500, 1000, 2000],
      allowCustomAmount: true,
      minCents: 300,
      maxCents: 50_000,
      bonusTiers: [{ minCents: 2000, bonusPercent: 10 }],
    });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
    await fake?.close();
  });

  async function deliver(body: string, signature?: string | null) {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-event-name': 'x' };
    if (signature !== null) headers['x-signature'] = signature ?? sign(SECRET, body);
    const res = await lemonSqueezyWebhookResponse(
      deps,
      new Request('http://site.test/api/payments/lemonsqueezy/webhook', { method: 'POST', headers, body }),
    );
    return { status: res.status, json: (await res.json()) as { outcome?: string; error?: string } };
  }

  async function books(userId: number) {
    const user = await deps.db.db
      .selectFrom('users')
      .select('balance')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    const ledger = await deps.db.db
      .selectFrom('ledger')
      .select(['kind', 'amount', 'idempotencyKey'])
      .where('userId', '=', userId)
      .orderBy('id')
      .execute();
    const logs = await deps.db.db
      .selectFrom('logs')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('cost').as('cost')])
      .where('userId', '=', userId)
      .executeTakeFirstOrThrow();
    return { balance: Number(user.balance), ledger, logRows: num(logs.n), logCost: num(logs.cost) };
  }

  async function checkout(u: SignedInUser, amountCents: number) {
    const res = await u.caller.payments.checkout({ amountCents, origin: ORIGIN });
    const recorded = fake.checkouts.at(-1)!;
    return { ...res, recorded };
  }

  function paidEvent(
    c: { topupId: number; recorded: { body: { data: { attributes: { custom_price?: number } } } } },
    userId: number,
    orderId: number,
  ) {
    return JSON.stringify(
      orderEvent('order_created', {
        orderId,
        custom: { topup_id: String(c.topupId), user_id: String(userId) },
        total: c.recorded.body.data.attributes.custom_price ?? 0,
      }),
    );
  }

  const orderId = () => Math.floor(Math.random() * 1e9);

  it('settings: secrets are stored sealed, shown masked and never returned', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const view = await admin.caller.payments.getSettings();
    expect(view).toMatchObject({
      enabled: true,
      storeId: '12',
      variantId: '34',
      apiKeySet: true,
      webhookSecretSet: true,
    });
    expect(view.apiKeyMask).toBe(`••••${API_KEY.slice(-4)}`);
    expect(view.webhookSecretMask).toBe(`••••${SECRET.slice(-4)}`);
    const stored = await deps.db.db.selectFrom('privateSettings').select('value').execute();
    const text = JSON.stringify(stored);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(SECRET);
    const after = await admin.caller.payments.setSettings({ currency: 'USD' });
    const json = JSON.stringify([view, after]);
    expect(json).not.toContain(API_KEY);
    expect(json).not.toContain(SECRET);
    expect(json).not.toMatch(/v1\.[A-Za-z0-9_-]{20,}/);
    // leaving a secret out keeps it; the relay snapshot's settings table never sees it
    expect(after.apiKeySet).toBe(true);
    const snapshotSettings = JSON.stringify(
      await deps.db.db.selectFrom('settings').select(['key', 'value']).execute(),
    );
    expect(snapshotSettings).not.toContain('lemonsqueezy');
    expect(
      (await outcomeOf(() => admin.caller.payments.setSettings({ minCents: 900, maxCents: 100 }))).outcome,
    ).toBe('BAD_REQUEST');
    const user = await createUserWithSession(deps, 'user');
    expect((await outcomeOf(() => user.caller.payments.getSettings())).outcome).toBe('FORBIDDEN');
  });

  it('checkout: the request carries the amount, store, variant, e-mail, custom ids and return URL', async () => {
    const u = await createUserWithSession(deps, 'user');
    const options = await u.caller.payments.options();
    expect(options.enabled).toBe(true);
    expect(options.amounts.map((a) => [a.cents, a.total])).toEqual([
      [500, 2_500_000],
      [1000, 5_000_000],
      [2000, 11_000_000],
    ]);
    const c = await checkout(u, 2000);
    expect(c.url).toBe(`${fake.url}/checkout/${c.recorded.id}`);
    expect(c.quota).toBe(11_000_000);
    expect(c.recorded.authorization).toBe(`Bearer ${API_KEY}`);
    expect(c.recorded.contentType).toBe('application/vnd.api+json');
    const data = c.recorded.body.data;
    expect(data.type).toBe('checkouts');
    expect(data.relationships.store.data).toEqual({ type: 'stores', id: '12' });
    expect(data.relationships.variant.data).toEqual({ type: 'variants', id: '34' });
    expect(data.attributes.custom_price).toBe(2000);
    expect(data.attributes.checkout_data).toEqual({
      email: u.user.email,
      custom: { topup_id: String(c.topupId), user_id: String(u.user.id) },
    });
    expect(data.attributes.product_options?.redirect_url).toBe(
      `${ORIGIN}/portal/topup/return?topup=${c.topupId}`,
    );
    expect(data.attributes.product_options?.enabled_variants).toEqual([34]);
    const topup = await u.caller.payments.topup({ id: c.topupId });
    expect(topup.topup).toMatchObject({
      status: 'pending',
      moneyCents: 2000,
      quota: 11_000_000,
      userId: u.user.id,
    });
    // a custom amount within the limits is fine, outside them is refused
    expect((await checkout(u, 777)).recorded.body.data.attributes.custom_price).toBe(777);
    const n = fake.checkouts.length;
    expect(
      (await outcomeOf(() => u.caller.payments.checkout({ amountCents: 299, origin: ORIGIN }))).outcome,
    ).toBe('BAD_REQUEST');
    expect(
      (await outcomeOf(() => u.caller.payments.checkout({ amountCents: 50_001, origin: ORIGIN }))).outcome,
    ).toBe('BAD_REQUEST');
    expect(
      (await outcomeOf(() => u.caller.payments.checkout({ amountCents: 500, origin: 'javascript:alert(1)' })))
        .outcome,
    ).toBe('BAD_REQUEST');
    expect(fake.checkouts.length).toBe(n);
  });

  it('checkout: a provider failure is SERVICE_UNAVAILABLE and leaves no pending top-up', async () => {
    const u = await createUserWithSession(deps, 'user');
    fake.configure({ failCheckouts: true });
    try {
      expect(
        (await outcomeOf(() => u.caller.payments.checkout({ amountCents: 500, origin: ORIGIN }))).outcome,
      ).toBe('SERVICE_UNAVAILABLE');
    } finally {
      fake.configure({ failCheckouts: false });
    }
    expect(await u.caller.payments.myTopups()).toEqual([]);
  });

  it('webhook: a valid order_created credits once; the return page sees it; relays are told', async () => {
    const u = await createUserWithSession(deps, 'user');
    const c = await checkout(u, 1000);
    const before = await books(u.user.id);
    const published = deps.published.length;
    const id = orderId();
    const res = await deliver(paidEvent(c, u.user.id, id));
    expect(res).toEqual({ status: 200, json: { ok: true, outcome: 'credited' } });
    const after = await books(u.user.id);
    expect(after.balance - before.balance).toBe(5_000_000);
    expect(after.ledger).toEqual([{ kind: 'topup', amount: 5_000_000, idempotencyKey: `ls:order:${id}` }]);
    expect(after.logRows).toBe(1);
    expect(after.logCost).toBe(-5_000_000);
    const status = await u.caller.payments.topup({ id: c.topupId });
    expect(status.topup).toMatchObject({ status: 'paid', externalId: String(id) });
    expect(status.balance).toBe(after.balance);
    expect(deps.published.slice(published).flatMap((m) => m.changes)).toContainEqual({
      entity: 'user',
      id: String(u.user.id),
      op: 'upsert',
    });
    // someone else's top-up is not found
    const other = await createUserWithSession(deps, 'user');
    expect((await outcomeOf(() => other.caller.payments.topup({ id: c.topupId }))).outcome).toBe('NOT_FOUND');
  });

  it('webhook: replayed 5× and delivered twice at once, an order credits exactly once', async () => {
    const u = await createUserWithSession(deps, 'user');
    const c = await checkout(u, 500);
    const body = paidEvent(c, u.user.id, orderId());
    const concurrent = await Promise.all([deliver(body), deliver(body)]);
    expect(concurrent.map((r) => r.status)).toEqual([200, 200]);
    expect(concurrent.map((r) => r.json.outcome).sort()).toEqual(['credited', 'duplicate']);
    for (let i = 0; i < 5; i++) expect((await deliver(body)).json.outcome).toBe('duplicate');
    const b = await books(u.user.id);
    expect(b.balance).toBe(2_500_000);
    expect(b.ledger).toHaveLength(1);
    expect(b.logRows).toBe(1);
    const events = await deps.db.db
      .selectFrom('paymentEvents')
      .select('outcome')
      .where('topupId', '=', c.topupId)
      .execute();
    expect(events.map((e) => e.outcome).sort()).toEqual(['credited', ...Array(6).fill('duplicate')]);
  });

  it('webhook: bad, missing or foreign signature, tampered body, malformed JSON → 4xx and nothing credited', async () => {
    const u = await createUserWithSession(deps, 'user');
    const c = await checkout(u, 500);
    const body = paidEvent(c, u.user.id, orderId());
    const tampered = body.replace('"total":500', '"total":50000');
    expect(tampered).not.toBe(body);
    const cases: [string, { status: number }][] = [
      ['bad signature', await deliver(body, 'ab'.repeat(32))],
      ['missing signature', await deliver(body, null)],
      ['empty signature', await deliver(body, '')],
      ['wrong secret', await deliver(body, sign('another-secret-entirely', body))],
      ['tampered body', await deliver(tampered, sign(SECRET, body))],
      ['not hex', await deliver(body, 'z'.repeat(64))],
    ];
    for (const [name, r] of cases) expect([name, r.status]).toEqual([name, 401]);
    expect((await deliver('{"meta": {"event_name": "order_created"')).status).toBe(400);
    expect((await deliver('[]')).status).toBe(400);
    expect((await deliver('{"meta":{},"data":{}}')).status).toBe(400);
    const b = await books(u.user.id);
    expect(b.balance).toBe(0);
    expect(b.ledger).toEqual([]);
    expect((await u.caller.payments.topup({ id: c.topupId })).topup.status).toBe('pending');
    // an oversized body is refused before it is read into memory
    const big = await lemonSqueezyWebhookResponse(
      deps,
      new Request('http://site.test/x', {
        method: 'POST',
        headers: { 'content-length': String(2 * 1024 * 1024), 'x-signature': 'ab'.repeat(32) },
        body: 'x'.repeat(10),
      }),
    );
    expect(big.status).toBe(413);
  });

  it('webhook: a refund is deducted once (replays and concurrent deliveries), partial refunds step by step', async () => {
    const u = await createUserWithSession(deps, 'user');
    const c = await checkout(u, 1000);
    const id = orderId();
    await deliver(paidEvent(c, u.user.id, id));
    const custom = { topup_id: String(c.topupId), user_id: String(u.user.id) };
    const half = JSON.stringify(
      orderEvent('order_refunded', {
        orderId: id,
        custom,
        total: 1000,
        refundedAmount: 400,
        status: 'partial_refund',
      }),
    );
    const full = JSON.stringify(
      orderEvent('order_refunded', { orderId: id, custom, total: 1000, refundedAmount: 1000 }),
    );
    const first = await Promise.all([deliver(half), deliver(half)]);
    expect(first.map((r) => r.json.outcome).sort()).toEqual(['duplicate', 'refunded']);
    expect((await books(u.user.id)).balance).toBe(5_000_000 - 2_000_000);
    expect((await u.caller.payments.topup({ id: c.topupId })).topup).toMatchObject({
      status: 'partial_refund',
      refundedCents: 400,
      refundedQuota: 2_000_000,
    });
    for (let i = 0; i < 3; i++) await deliver(full);
    await deliver(half);
    const b = await books(u.user.id);
    expect(b.balance).toBe(0);
    expect(b.ledger.map((l) => [l.kind, l.amount])).toEqual([
      ['topup', 5_000_000],
      ['refund', -2_000_000],
      ['refund', -3_000_000],
    ]);
    expect(b.logCost).toBe(0);
    expect((await u.caller.payments.topup({ id: c.topupId })).topup.status).toBe('refunded');
  });

  it('webhook: a refund may take the balance below zero', async () => {
    const u = await createUserWithSession(deps, 'user');
    const c = await checkout(u, 500);
    const id = orderId();
    await deliver(paidEvent(c, u.user.id, id));
    await deps.db.db.updateTable('users').set({ balance: 1_000 }).where('id', '=', u.user.id).execute();
    const custom = { topup_id: String(c.topupId), user_id: String(u.user.id) };
    await deliver(JSON.stringify(orderEvent('order_refunded', { orderId: id, custom, total: 500 })));
    expect((await books(u.user.id)).balance).toBe(1_000 - 2_500_000);
  });

  it('webhook: an unknown top-up, user or order is recorded and alerted once, never credited', async () => {
    const u = await createUserWithSession(deps, 'user');
    const c = await checkout(u, 500);
    const stranger = await createUserWithSession(deps, 'user');
    const cases = [
      { orderId: orderId(), custom: { topup_id: '987654321', user_id: String(u.user.id) } },
      { orderId: orderId(), custom: { topup_id: String(c.topupId), user_id: String(stranger.user.id) } },
      { orderId: orderId(), custom: null },
    ];
    for (const k of cases) {
      const body = JSON.stringify(orderEvent('order_created', { ...k, total: 500 }));
      expect(await deliver(body)).toEqual({ status: 200, json: { ok: true, outcome: 'unknown' } });
      expect((await deliver(body)).json.outcome).toBe('unknown');
      const alerts = await deps.db.db
        .selectFrom('alertEvents')
        .select(['kind', 'state', 'message'])
        .where('subject', '=', `ls:order:${k.orderId}`)
        .execute();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: 'payment_unknown', state: 'fired' });
      const recorded = await deps.db.db
        .selectFrom('paymentEvents')
        .select(['outcome', 'payload'])
        .where('externalId', '=', String(k.orderId))
        .execute();
      expect(recorded.map((r) => r.outcome)).toEqual(['unknown', 'unknown']);
      expect(recorded[0]!.payload).toBe(body);
    }
    const refund = JSON.stringify(
      orderEvent('order_refunded', { orderId: orderId(), custom: null, total: 500 }),
    );
    expect((await deliver(refund)).json.outcome).toBe('unknown');
    expect((await books(u.user.id)).balance).toBe(0);
    expect((await books(stranger.user.id)).balance).toBe(0);
  });

  it('webhook: other events are acknowledged and recorded; an unpaid order credits nothing', async () => {
    const u = await createUserWithSession(deps, 'user');
    const c = await checkout(u, 500);
    const ignored = JSON.stringify(orderEvent('subscription_created', { orderId: orderId(), total: 0 }));
    expect(await deliver(ignored)).toEqual({ status: 200, json: { ok: true, outcome: 'ignored' } });
    const pending = JSON.stringify(
      orderEvent('order_created', {
        orderId: orderId(),
        custom: { topup_id: String(c.topupId), user_id: String(u.user.id) },
        total: 500,
        status: 'pending',
      }),
    );
    expect((await deliver(pending)).json.outcome).toBe('ignored');
    expect((await books(u.user.id)).balance).toBe(0);
  });

  it('webhook: the same checkout paid twice (two orders) credits both, nothing is lost', async () => {
    const u = await createUserWithSession(deps, 'user');
    const c = await checkout(u, 500);
    await deliver(paidEvent(c, u.user.id, orderId()));
    await deliver(paidEvent(c, u.user.id, orderId()));
    expect((await books(u.user.id)).balance).toBe(5_000_000);
    expect((await u.caller.payments.myTopups()).filter((t) => t.status === 'paid')).toHaveLength(2);
  });

  it('webhook: without a signing secret configured nothing is processed (503, retried later)', async () => {
    const d2 = await createTestDeps({ kind: 'sqlite' });
    try {
      const body = JSON.stringify(orderEvent('order_created', { orderId: 1, total: 1 }));
      const res = await lemonSqueezyWebhookResponse(
        d2,
        new Request('http://x/', { method: 'POST', headers: { 'x-signature': sign('', body) }, body }),
      );
      expect(res.status).toBe(503);
    } finally {
      await d2.cleanup();
    }
  });

  it('the balance card shows the threshold in force and the low-balance flag', async () => {
    const u = await createUserWithSession(deps, 'user');
    await setSettings(deps, { low_balance_threshold: 1_000 });
    try {
      expect(await u.caller.payments.balance()).toMatchObject({
        balance: 0,
        threshold: 1_000,
        ownThreshold: null,
        low: true,
      });
      expect(await u.caller.payments.setThreshold({ threshold: 0 })).toMatchObject({
        threshold: 0,
        low: false,
      });
      expect((await outcomeOf(() => u.caller.payments.setThreshold({ threshold: -1 }))).outcome).toBe(
        'BAD_REQUEST',
      );
    } finally {
      await setSettings(deps, { low_balance_threshold: 0 });
    }
    void rid;
  });
});
