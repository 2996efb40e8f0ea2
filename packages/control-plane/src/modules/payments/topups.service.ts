import { insertedId } from '@tollgate/shared/db/index.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { getSettings } from '../settings/settings.service.ts';
import { createLemonCheckout, redirectLemonSqueezyApi } from './lemonsqueezy.ts';
import type { BonusTier, PaymentOptions } from './payments.schemas.ts';
import { getPaymentConfig } from './payments.settings.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now' | 'settingsBox' | 'cfg' | 'logger'>;

export const PROVIDER = 'lemonsqueezy';

/** The columns of a top-up a user or admin may see (no checkout URL: it is a bearer link). */
export const topupColumns = [
  'id',
  'userId',
  'provider',
  'externalId',
  'moneyCents',
  'currency',
  'quota',
  'status',
  'refundedCents',
  'refundedQuota',
  'createdAt',
  'completedAt',
] as const;

/** The bonus percentage of the highest tier `amountCents` reaches (0 when none). */
export function bonusPercent(tiers: readonly BonusTier[], amountCents: number): number {
  let best = 0;
  for (const t of tiers) if (amountCents >= t.minCents && t.bonusPercent > best) best = t.bonusPercent;
  return best;
}

/**
 * Quota credited for `amountCents`: `amountCents × quotaPerUnit / 100`, plus the bonus tier, in
 * integers (BigInt), each step rounded down once.
 */
export function quotaFor(
  options: Pick<PaymentOptions, 'bonusTiers'>,
  quotaPerUnit: number,
  amountCents: number,
): { base: number; bonus: number; total: number } {
  const base = (BigInt(amountCents) * BigInt(quotaPerUnit)) / 100n;
  const bonus = (base * BigInt(bonusPercent(options.bonusTiers, amountCents))) / 100n;
  return { base: Number(base), bonus: Number(bonus), total: Number(base + bonus) };
}

async function rate(deps: Deps, options: PaymentOptions): Promise<number> {
  return options.quotaPerUnit ?? (await getSettings(deps)).quota_per_unit;
}

/** What the Portal's top-up page offers: amounts, limits, the quota each amount buys. */
export async function topupOptions(deps: Deps) {
  const config = await getPaymentConfig(deps);
  const ready = config.enabled && Boolean(config.apiKey && config.storeId && config.variantId);
  const perUnit = await rate(deps, config);
  return {
    enabled: ready,
    currency: config.currency,
    amounts: config.amounts.map((cents) => ({ cents, ...quotaFor(config, perUnit, cents) })),
    allowCustomAmount: config.allowCustomAmount,
    minCents: config.minCents,
    maxCents: config.maxCents,
    quotaPerUnit: perUnit,
    bonusTiers: config.bonusTiers,
  };
}

/**
 * The origin the checkout returns to: the configured `site_public_url` when set (the page's origin
 * must then match it), otherwise the page's own origin (embedded/dev).
 */
export function returnOrigin(deps: Pick<Deps, 'cfg'>, pageOrigin: string | undefined): string {
  const configured = deps.cfg.site_public_url ? new URL(deps.cfg.site_public_url).origin : undefined;
  if (configured) return configured;
  if (!pageOrigin) throw new ServiceError('BAD_REQUEST', 'origin: the page origin is required');
  let url: URL;
  try {
    url = new URL(pageOrigin);
  } catch {
    throw new ServiceError('BAD_REQUEST', 'origin: not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ServiceError('BAD_REQUEST', 'origin: http or https only');
  return url.origin;
}

/**
 * Starts a top-up: records a pending top-up (amount and quota fixed now), asks Lemon Squeezy for a
 * hosted checkout carrying the top-up and user ids, and returns its URL. The webhook credits it.
 */
export async function startCheckout(
  deps: Deps,
  user: { id: number; email: string },
  input: { amountCents: number; origin?: string },
) {
  const config = await getPaymentConfig(deps);
  if (!config.enabled || !config.apiKey || !config.storeId || !config.variantId)
    throw new ServiceError('BAD_REQUEST', 'online top-up is not available on this site');
  const cents = input.amountCents;
  const offered = config.amounts.includes(cents);
  if (!offered && !config.allowCustomAmount)
    throw new ServiceError('BAD_REQUEST', 'amountCents: choose one of the offered amounts');
  if (!offered && (cents < config.minCents || cents > config.maxCents))
    throw new ServiceError(
      'BAD_REQUEST',
      `amountCents: between ${config.minCents} and ${config.maxCents} cents`,
    );
  const origin = returnOrigin(deps, input.origin);
  const quota = quotaFor(config, await rate(deps, config), cents).total;
  const now = deps.now();
  const res = await deps.db.db
    .insertInto('topups')
    .values({
      userId: user.id,
      provider: PROVIDER,
      moneyCents: cents,
      currency: config.currency,
      quota,
      status: 'pending',
      createdAt: now,
    })
    .executeTakeFirstOrThrow();
  const topupId = insertedId(res);
  redirectLemonSqueezyApi(deps.cfg.lemonsqueezy_api_url);
  const checkout = await createLemonCheckout({
    apiKey: config.apiKey,
    storeId: config.storeId,
    variantId: config.variantId,
    amountCents: cents,
    email: user.email,
    custom: { topup_id: String(topupId), user_id: String(user.id) },
    redirectUrl: `${origin}/portal/topup/return?topup=${topupId}`,
    productName: `Top-up #${topupId}`,
  });
  if (!checkout.ok) {
    await deps.db.db.updateTable('topups').set({ status: 'failed' }).where('id', '=', topupId).execute();
    deps.logger.warn({ topupId, error: checkout.error }, 'lemon squeezy checkout failed');
    throw new ServiceError('SERVICE_UNAVAILABLE', 'the payment provider did not answer; try again shortly');
  }
  await deps.db.db
    .updateTable('topups')
    .set({ checkoutUrl: checkout.url })
    .where('id', '=', topupId)
    .execute();
  return { topupId, url: checkout.url, quota };
}

/** One of the user's own top-ups (NOT_FOUND for anyone else's) plus their balance now. */
export async function getMyTopup(deps: Deps, userId: number, id: number) {
  const topup = await deps.db.db
    .selectFrom('topups')
    .select(topupColumns)
    .where('id', '=', id)
    .where('userId', '=', userId)
    .executeTakeFirst();
  if (!topup) throw new ServiceError('NOT_FOUND', 'top-up not found');
  const user = await deps.db.db
    .selectFrom('users')
    .select('balance')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return { topup, balance: Number(user.balance) };
}

/** The user's top-up history, newest first (checkouts never completed are left out after a day). */
export async function listMyTopups(deps: Deps, userId: number, limit = 50) {
  const dayAgo = deps.now() - 86_400_000;
  return deps.db.db
    .selectFrom('topups')
    .select(topupColumns)
    .where('userId', '=', userId)
    .where((eb) => eb.or([eb('status', '!=', 'pending'), eb('createdAt', '>', dayAgo)]))
    .where('status', '!=', 'failed')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** The portal's balance card: balance, the reminder threshold in force and whether it is crossed. */
export async function myBalance(deps: Deps, userId: number) {
  const [user, settings] = await Promise.all([
    deps.db.db
      .selectFrom('users')
      .select(['balance', 'lowBalanceThreshold'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow(),
    getSettings(deps),
  ]);
  const threshold =
    user.lowBalanceThreshold === null ? settings.low_balance_threshold : Number(user.lowBalanceThreshold);
  const balance = Number(user.balance);
  return {
    balance,
    threshold,
    ownThreshold: user.lowBalanceThreshold === null ? null : Number(user.lowBalanceThreshold),
    low: threshold > 0 && balance < threshold,
    quotaPerUnit: settings.quota_per_unit,
    currency: settings.display_currency,
  };
}

/** Sets (or clears, null = site default) the user's own low-balance threshold. */
export async function setMyThreshold(deps: Deps, userId: number, threshold: number | null) {
  await deps.db.db
    .updateTable('users')
    .set({ lowBalanceThreshold: threshold, updatedAt: deps.now() })
    .where('id', '=', userId)
    .execute();
  return myBalance(deps, userId);
}
