import { num } from '@tollgate/shared/db/index.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { getSettings } from '../settings/settings.service.ts';
import {
  countLatencySamples,
  latencyAtRank,
  type StatsScope,
  selectBalance,
  selectChannels,
  selectDaily,
  selectKeys,
  selectTopModels,
  selectTopUsers,
  selectTotals,
} from './stats.queries.ts';
import { DAY_MS, type StatsRange } from './stats.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

/** Models shown by name in a distribution; the rest are summed into one "other" slice. */
export const TOP_MODELS = 10;
export const TOP_USERS = 10;
export const MAX_CHANNELS = 100;
export const MAX_KEYS = 100;

/** How the pages turn quota units into money (settings `quota_per_unit`, `display_currency`). */
export interface DisplayCurrency {
  quotaPerUnit: number;
  currency: 'USD' | 'CNY';
}

/** `part / whole`, or null when there is nothing to divide by (shown as "—", not as 0 %). */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/**
 * The 0-based position of the `p`-th percentile among `n` sorted values, by the nearest-rank method
 * (the smallest value with at least `p` of the values at or below it).
 * @see https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method
 */
export function percentileOffset(n: number, p: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
}

/** Every day of the range as `{ bucket, day: 'YYYY-MM-DD' }`, in the viewer's local calendar. */
export function dayBuckets(range: StatsRange): { bucket: number; day: string }[] {
  const shift = range.tzOffsetMinutes * 60_000;
  const first = Math.floor((range.from + shift) / DAY_MS);
  const last = Math.floor((range.to - 1 + shift) / DAY_MS);
  const out: { bucket: number; day: string }[] = [];
  for (let b = first; b <= last; b++)
    out.push({ bucket: b, day: new Date(b * DAY_MS).toISOString().slice(0, 10) });
  return out;
}

/** Daily rows from SQL spread over every day of the range, zeros where a day had no traffic. */
function fillDays<R extends { bucket: unknown }, T>(
  range: StatsRange,
  rows: R[],
  pick: (row: R | undefined) => T,
): ({ day: string } & T)[] {
  const byBucket = new Map(rows.map((r) => [num(r.bucket), r]));
  return dayBuckets(range).map(({ bucket, day }) => ({ day, ...pick(byBucket.get(bucket)) }));
}

async function displayCurrency(deps: Deps): Promise<DisplayCurrency> {
  const s = await getSettings(deps);
  return { quotaPerUnit: s.quota_per_unit, currency: s.display_currency };
}

/** p50 and p95 latency of the successful requests: one COUNT, then one ranked row per percentile. */
async function latencyPercentiles(deps: Deps, scope: StatsScope) {
  const { db } = deps.db;
  const samples = num((await countLatencySamples(db, scope)).n);
  if (samples === 0) return { samples, p50: null, p95: null };
  const [p50, p95] = await Promise.all(
    [0.5, 0.95].map(async (p) => {
      const row = await latencyAtRank(db, scope, percentileOffset(samples, p));
      return row ? num(row.latencyMs) : null;
    }),
  );
  return { samples, p50: p50 ?? null, p95: p95 ?? null };
}

/**
 * The operator's dashboard over a range: traffic, error rate, latency, money (revenue = Σ cost
 * charged, cost = Σ channel cost, margin), per-day series and the leading models, users and channels.
 * Only `kind = 'usage'` rows count; top-ups and adjustments are not traffic.
 */
export async function adminDashboard(deps: Deps, range: StatsRange) {
  const { db } = deps.db;
  const scope: StatsScope = { range };
  const [totalsRow, latency, dailyRows, modelRows, userRows, channelRows, currency] = await Promise.all([
    selectTotals(db, scope),
    latencyPercentiles(deps, scope),
    selectDaily(db, scope),
    selectTopModels(db, scope, TOP_MODELS),
    selectTopUsers(db, scope, TOP_USERS),
    selectChannels(db, scope, MAX_CHANNELS),
    displayCurrency(deps),
  ]);
  const requests = num(totalsRow.requests);
  const errors = num(totalsRow.errors);
  const promptTokens = num(totalsRow.promptTokens);
  const completionTokens = num(totalsRow.completionTokens);
  const revenue = num(totalsRow.revenue);
  const cost = num(totalsRow.cost);
  const margin = revenue - cost;

  const models: { model: string | null; requests: number; tokens: number; revenue: number }[] = modelRows.map(
    (m) => ({
      model: m.model,
      requests: num(m.requests),
      tokens: num(m.promptTokens) + num(m.completionTokens),
      revenue: num(m.revenue),
    }),
  );
  const shown = models.reduce(
    (acc, m) => ({
      requests: acc.requests + m.requests,
      tokens: acc.tokens + m.tokens,
      revenue: acc.revenue + m.revenue,
    }),
    { requests: 0, tokens: 0, revenue: 0 },
  );
  if (requests > shown.requests) {
    models.push({
      model: null,
      requests: requests - shown.requests,
      tokens: promptTokens + completionTokens - shown.tokens,
      revenue: revenue - shown.revenue,
    });
  }

  return {
    range: { from: range.from, to: range.to, tzOffsetMinutes: range.tzOffsetMinutes },
    currency,
    totals: {
      requests,
      errors,
      errorRate: ratio(errors, requests),
      promptTokens,
      cachedTokens: num(totalsRow.cachedTokens),
      completionTokens,
      revenue,
      cost,
      margin,
      marginRate: ratio(margin, revenue),
      activeUsers: num(totalsRow.activeUsers),
    },
    latency,
    daily: fillDays(range, dailyRows, (r) => ({
      requests: num(r?.requests),
      errors: num(r?.errors),
      revenue: num(r?.revenue),
      cost: num(r?.cost),
    })),
    /** the {@link TOP_MODELS} most requested models; `model: null` is all the others together */
    models,
    topUsers: userRows.map((u) => ({
      userId: u.userId,
      email: u.email,
      requests: num(u.requests),
      revenue: num(u.revenue),
      cost: num(u.cost),
    })),
    channels: channelRows.map((c) => {
      const n = num(c.requests);
      const failures = num(c.failures);
      return {
        channelId: c.channelId as number,
        name: c.name,
        requests: n,
        failures,
        failureRate: ratio(failures, n),
        avgLatencyMs: Math.round(num(c.avgLatencyMs)),
      };
    }),
  };
}

/**
 * One user's usage over a range — per day, per model, per key — and their balance. Every query is
 * scoped to `userId` (the caller's own id from the session; never an input).
 */
export async function myUsage(deps: Deps, userId: number, range: StatsRange) {
  const { db } = deps.db;
  const scope = { range, userId };
  const [balance, totalsRow, dailyRows, modelRows, keyRows, currency] = await Promise.all([
    selectBalance(db, userId),
    selectTotals(db, scope),
    selectDaily(db, scope),
    selectTopModels(db, scope, TOP_MODELS),
    selectKeys(db, scope, MAX_KEYS),
    displayCurrency(deps),
  ]);
  if (!balance) throw new ServiceError('NOT_FOUND', 'user not found');
  const requests = num(totalsRow.requests);
  const promptTokens = num(totalsRow.promptTokens);
  const completionTokens = num(totalsRow.completionTokens);
  const spent = num(totalsRow.revenue);

  const models: { model: string | null; requests: number; tokens: number; cost: number }[] = modelRows.map(
    (m) => ({
      model: m.model,
      requests: num(m.requests),
      tokens: num(m.promptTokens) + num(m.completionTokens),
      cost: num(m.revenue),
    }),
  );
  const shown = models.reduce(
    (acc, m) => ({
      requests: acc.requests + m.requests,
      tokens: acc.tokens + m.tokens,
      cost: acc.cost + m.cost,
    }),
    { requests: 0, tokens: 0, cost: 0 },
  );
  if (requests > shown.requests) {
    models.push({
      model: null,
      requests: requests - shown.requests,
      tokens: promptTokens + completionTokens - shown.tokens,
      cost: spent - shown.cost,
    });
  }

  return {
    range: { from: range.from, to: range.to, tzOffsetMinutes: range.tzOffsetMinutes },
    currency,
    balance: num(balance.balance),
    usedQuota: num(balance.usedQuota),
    totals: {
      requests,
      errors: num(totalsRow.errors),
      promptTokens,
      cachedTokens: num(totalsRow.cachedTokens),
      completionTokens,
      cost: spent,
    },
    daily: fillDays(range, dailyRows, (r) => ({
      requests: num(r?.requests),
      tokens: num(r?.promptTokens) + num(r?.completionTokens),
      cost: num(r?.revenue),
    })),
    models,
    keys: keyRows.map((k) => ({
      tokenId: k.tokenId,
      name: k.name,
      requests: num(k.requests),
      tokens: num(k.promptTokens) + num(k.completionTokens),
      cost: num(k.cost),
    })),
  };
}
