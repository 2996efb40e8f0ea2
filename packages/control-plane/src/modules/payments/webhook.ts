import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Database, insertedId } from '@tollgate/shared/db/index.ts';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { configTx } from '../../snapshot/config-tx.ts';
import { applyBalanceChange, moveHotBalance } from '../users/users.service.ts';
import { getPaymentConfig } from './payments.settings.ts';
import { PROVIDER } from './topups.service.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now' | 'settingsBox' | 'logger'> &
  Partial<Pick<ControlPlaneDeps, 'redis' | 'redisNames'>>;

/** Largest webhook body accepted (Lemon Squeezy order payloads are a few KB). */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** Payload kept per recorded event. */
const MAX_STORED_PAYLOAD = 60_000;

/**
 * `X-Signature` is the hex HMAC-SHA256 of the raw body with the webhook signing secret; compared in
 * constant time, before anything is parsed.
 * @see https://docs.lemonsqueezy.com/help/webhooks/signing-requests
 */
export function verifySignature(secret: string, raw: Uint8Array, signature: string | null): boolean {
  if (!signature || !/^[0-9a-f]{64}$/i.test(signature.trim())) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(signature.trim(), 'hex'));
}

/** The hex signature of `raw` (what Lemon Squeezy sends; tests sign with it). */
export function signPayload(secret: string, raw: string | Uint8Array): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}

const idText = z.union([z.string().min(1).max(128), z.number().int().nonnegative()]).transform(String);

const eventSchema = z.object({
  meta: z.object({
    event_name: z.string().min(1).max(64),
    custom_data: z.record(z.string(), z.unknown()).nullish(),
    test_mode: z.boolean().optional(),
  }),
  data: z.object({
    id: idText,
    type: z.string().optional(),
    attributes: z.record(z.string(), z.unknown()),
  }),
});
type WebhookEvent = z.infer<typeof eventSchema>;

const orderSchema = z.object({
  identifier: z.string().optional(),
  order_number: z.number().optional(),
  status: z.string(),
  currency: z.string().optional(),
  total: z.number().int().nonnegative(),
  refunded_amount: z.number().int().nonnegative().nullish(),
  test_mode: z.boolean().optional(),
});

/** What was done with one event. */
export type WebhookOutcome = 'credited' | 'refunded' | 'duplicate' | 'unknown' | 'ignored';

export interface WebhookResult {
  outcome: WebhookOutcome;
  detail?: string;
  topupId?: number | null;
  userId?: number | null;
}

function reply(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

async function readCapped(request: Request): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_WEBHOOK_BYTES) return undefined;
  const buf = new Uint8Array(await request.arrayBuffer());
  return buf.byteLength > MAX_WEBHOOK_BYTES ? undefined : buf;
}

/**
 * The whole `POST /api/payments/lemonsqueezy/webhook`: signature (401), JSON (400), shape (400), then
 * `order_created` credits the top-up once per order, `order_refunded` deducts the refunded share
 * once per refunded amount, any other event is recorded and acknowledged. An event naming no known
 * top-up or user is recorded and alerted, then acknowledged (200) so it is not retried forever.
 */
export async function lemonSqueezyWebhookResponse(deps: Deps, request: Request): Promise<Response> {
  if (request.method !== 'POST') return reply(405, { error: 'POST only' });
  const raw = await readCapped(request);
  if (!raw) return reply(413, { error: 'payload too large' });
  const config = await getPaymentConfig(deps);
  if (!config.webhookSecret) {
    deps.logger.warn('lemon squeezy webhook received but no signing secret is configured');
    return reply(503, { error: 'webhooks are not configured' });
  }
  if (!verifySignature(config.webhookSecret, raw, request.headers.get('x-signature'))) {
    deps.logger.warn('lemon squeezy webhook with a missing or wrong signature');
    return reply(401, { error: 'invalid signature' });
  }
  const text = new TextDecoder().decode(raw);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return reply(400, { error: 'malformed JSON' });
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) return reply(400, { error: 'not a Lemon Squeezy event' });
  try {
    const result = await handleEvent(deps, parsed.data, text);
    return reply(200, { ok: true, outcome: result.outcome });
  } catch (err) {
    deps.logger.error({ err }, 'lemon squeezy webhook failed');
    // 5xx: Lemon Squeezy delivers again later; every step is idempotent
    return reply(500, { error: 'internal error' });
  }
}

/** Handles one verified event (exported for tests that bypass HTTP). */
export async function handleEvent(deps: Deps, event: WebhookEvent, payload: string): Promise<WebhookResult> {
  const name = event.meta.event_name;
  let result: WebhookResult;
  if (name === 'order_created') result = await creditOrder(deps, event, payload);
  else if (name === 'order_refunded') result = await refundOrder(deps, event, payload);
  else {
    result = { outcome: 'ignored', detail: `event ${name} is not handled` };
    await recordEvent(deps.db.db, deps.now(), event, payload, result);
  }
  if (result.outcome === 'unknown') await raiseAlert(deps, event, result);
  return result;
}

async function recordEvent(
  db: Transaction<Database> | ControlPlaneDeps['db']['db'],
  now: number,
  event: WebhookEvent,
  payload: string,
  result: WebhookResult,
): Promise<void> {
  await db
    .insertInto('paymentEvents')
    .values({
      provider: PROVIDER,
      eventName: event.meta.event_name,
      externalId: event.data.id,
      topupId: result.topupId ?? null,
      userId: result.userId ?? null,
      outcome: result.outcome,
      detail: result.detail?.slice(0, 500) ?? null,
      payload: payload.slice(0, MAX_STORED_PAYLOAD),
      createdAt: now,
    })
    .execute();
}

/** One fired alert per order: replays of an unknown order do not alert again. */
async function raiseAlert(deps: Deps, event: WebhookEvent, result: WebhookResult): Promise<void> {
  const subject = `ls:order:${event.data.id}`;
  const existing = await deps.db.db
    .selectFrom('alertEvents')
    .select('id')
    .where('kind', '=', 'payment_unknown')
    .where('subject', '=', subject)
    .executeTakeFirst();
  if (existing) return;
  await deps.db.db
    .insertInto('alertEvents')
    .values({
      kind: 'payment_unknown',
      subject,
      state: 'fired',
      value: event.meta.event_name,
      message:
        `Lemon Squeezy ${event.meta.event_name} for order ${event.data.id} was not applied: ${result.detail ?? 'unknown top-up'}. Check the payment events and credit the user by hand if the money was received.`.slice(
          0,
          1000,
        ),
      firedAt: deps.now(),
    })
    .execute();
  deps.logger.warn({ order: event.data.id, detail: result.detail }, 'unknown lemon squeezy order');
}

function customId(event: WebhookEvent, key: string): number | undefined {
  const v = event.meta.custom_data?.[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

async function creditOrder(deps: Deps, event: WebhookEvent, payload: string): Promise<WebhookResult> {
  const orderId = event.data.id;
  const order = orderSchema.safeParse(event.data.attributes);
  const topupId = customId(event, 'topup_id');
  const userId = customId(event, 'user_id');
  const now = deps.now();
  let credited: { userId: number; amount: number } | undefined;
  const result = await configTx(deps, async (trx, changed): Promise<WebhookResult> => {
    const done = async (r: WebhookResult) => {
      await recordEvent(trx, now, event, payload, r);
      return r;
    };
    if (!order.success)
      return done({ outcome: 'unknown', detail: 'order attributes missing', topupId, userId });
    if (order.data.status !== 'paid')
      return done({ outcome: 'ignored', detail: `order status ${order.data.status}`, topupId, userId });
    const topup =
      topupId === undefined
        ? undefined
        : await trx
            .selectFrom('topups')
            .select(['id', 'userId', 'quota', 'moneyCents', 'currency', 'externalId', 'status'])
            .where('id', '=', topupId)
            .where('provider', '=', PROVIDER)
            .executeTakeFirst();
    if (!topup)
      return done({ outcome: 'unknown', detail: `no top-up ${topupId ?? '(none given)'}`, topupId, userId });
    if (topup.userId !== userId)
      return done({
        outcome: 'unknown',
        detail: `top-up ${topup.id} belongs to user ${topup.userId}, the order names user ${userId ?? '(none)'}`,
        topupId,
        userId,
      });
    const user = await trx.selectFrom('users').select('id').where('id', '=', topup.userId).executeTakeFirst();
    if (!user) return done({ outcome: 'unknown', detail: `no user ${topup.userId}`, topupId, userId });
    const label = order.data.identifier ?? order.data.order_number ?? orderId;
    const applied = await applyBalanceChange(
      trx,
      changed,
      {
        userId: topup.userId,
        amount: Number(topup.quota),
        reason: `Lemon Squeezy order ${label} (top-up #${topup.id})`,
        idempotencyKey: `ls:order:${orderId}`,
        kind: 'topup',
      },
      now,
    );
    if (!applied) return done({ outcome: 'duplicate', topupId: topup.id, userId: topup.userId });
    credited = { userId: topup.userId, amount: Number(topup.quota) };
    const set = {
      status: 'paid',
      externalId: orderId,
      completedAt: now,
      testMode: order.data.test_mode ? 1 : 0,
    };
    const claimed = await trx
      .updateTable('topups')
      .set(set)
      .where('id', '=', topup.id)
      .where((eb) => eb.or([eb('externalId', 'is', null), eb('externalId', '=', orderId)]))
      .executeTakeFirst();
    let creditedTopup = topup.id;
    if (Number(claimed.numUpdatedRows) === 0) {
      // the same checkout paid twice: a second order is a top-up of its own, never lost
      const res = await trx
        .insertInto('topups')
        .values({
          userId: topup.userId,
          provider: PROVIDER,
          moneyCents: Number(topup.moneyCents),
          currency: topup.currency,
          quota: Number(topup.quota),
          createdAt: now,
          ...set,
        })
        .executeTakeFirstOrThrow();
      creditedTopup = insertedId(res);
    }
    const mismatch =
      order.data.total !== Number(topup.moneyCents)
        ? `paid ${order.data.total} ${order.data.currency ?? ''}, top-up was ${topup.moneyCents}`
        : undefined;
    return done({ outcome: 'credited', detail: mismatch, topupId: creditedTopup, userId: topup.userId });
  });
  if (credited) await moveHotBalance(deps, credited.userId, credited.amount);
  return result;
}

async function refundOrder(deps: Deps, event: WebhookEvent, payload: string): Promise<WebhookResult> {
  const orderId = event.data.id;
  const order = orderSchema.safeParse(event.data.attributes);
  const now = deps.now();
  let debited: { userId: number; amount: number } | undefined;
  const result = await configTx(deps, async (trx, changed): Promise<WebhookResult> => {
    const done = async (r: WebhookResult) => {
      await recordEvent(trx, now, event, payload, r);
      return r;
    };
    if (!order.success) return done({ outcome: 'unknown', detail: 'order attributes missing' });
    let q = trx
      .selectFrom('topups')
      .select(['id', 'userId', 'quota', 'moneyCents', 'refundedQuota'])
      .where('provider', '=', PROVIDER)
      .where('externalId', '=', orderId);
    if (deps.db.kind === 'mysql') q = q.forUpdate();
    const topup = await q.executeTakeFirst();
    if (!topup)
      return done({ outcome: 'unknown', detail: `refund of order ${orderId}, which was never credited` });
    const total = order.data.total;
    const refundedCents = Math.min(order.data.refunded_amount ?? total, total);
    const quota = BigInt(topup.quota);
    const target = Number(total === 0 ? quota : (quota * BigInt(refundedCents)) / BigInt(total));
    const delta = target - Number(topup.refundedQuota);
    const ids = { topupId: topup.id, userId: topup.userId };
    if (delta <= 0) return done({ outcome: 'duplicate', ...ids });
    const applied = await applyBalanceChange(
      trx,
      changed,
      {
        userId: topup.userId,
        amount: -delta,
        reason: `Lemon Squeezy refund of order ${order.data.identifier ?? orderId} (top-up #${topup.id})`,
        idempotencyKey: `ls:refund:${orderId}:${refundedCents}`,
        kind: 'refund',
      },
      now,
    );
    if (!applied) return done({ outcome: 'duplicate', ...ids });
    await trx
      .updateTable('topups')
      .set({
        refundedCents,
        refundedQuota: target,
        status: refundedCents >= total ? 'refunded' : 'partial_refund',
      })
      .where('id', '=', topup.id)
      .execute();
    debited = { userId: topup.userId, amount: -delta };
    return done({ outcome: 'refunded', detail: `${refundedCents} of ${total} cents`, ...ids });
  });
  if (debited) await moveHotBalance(deps, debited.userId, debited.amount);
  return result;
}
