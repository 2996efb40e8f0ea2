import { num } from '@tollgate/shared/db/index.ts';
import { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'now'>;

/** `YYYY-MM` (UTC). */
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');

/** Log kinds that add money (credits shown as top-ups on a statement). */
const CREDIT_KINDS = ['topup', 'code'];

export interface StatementModelLine {
  model: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}

/**
 * A user's month, from the log rows alone (every balance change has one: a charge is a positive
 * cost, a credit a negative one). closing = opening + topups − refunds + adjustments − usage.
 */
export interface Statement {
  userId: number;
  month: string;
  opening: number;
  topups: number;
  refunds: number;
  adjustments: number;
  usage: number;
  requests: number;
  closing: number;
  usageByModel: StatementModelLine[];
  /** null: computed now (the month is not closed or no statement was generated) */
  generatedAt: number | null;
}

/** [start, end) of a UTC month in epoch ms. */
export function monthRange(month: string): { start: number; end: number } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return { start: Date.UTC(y, m - 1, 1), end: Date.UTC(y, m, 1) };
}

/** The UTC month of an instant. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** The month before `month`. */
export function previousMonth(month: string): string {
  const { start } = monthRange(month);
  return monthOf(start - 1);
}

/** Computes the statement of users (all when `userIds` is undefined) for a month, from the logs. */
export async function computeStatements(
  deps: Deps,
  month: string,
  userIds?: number[],
): Promise<Map<number, Statement>> {
  const { start, end } = monthRange(month);
  const { db } = deps.db;
  let before = db
    .selectFrom('logs')
    .select((eb) => ['userId', eb.fn.sum('cost').as('cost')])
    .where('createdAt', '<', start)
    .groupBy('userId');
  let within = db
    .selectFrom('logs')
    .select((eb) => ['userId', 'kind', eb.fn.sum('cost').as('cost'), eb.fn.countAll().as('n')])
    .where('createdAt', '>=', start)
    .where('createdAt', '<', end)
    .groupBy(['userId', 'kind']);
  let models = db
    .selectFrom('logs')
    .select((eb) => [
      'userId',
      'model',
      eb.fn.countAll().as('n'),
      eb.fn.sum('promptTokens').as('prompt'),
      eb.fn.sum('completionTokens').as('completion'),
      eb.fn.sum('cost').as('cost'),
    ])
    .where('kind', '=', 'usage')
    .where('createdAt', '>=', start)
    .where('createdAt', '<', end)
    .groupBy(['userId', 'model']);
  if (userIds) {
    if (userIds.length === 0) return new Map();
    before = before.where('userId', 'in', userIds);
    within = within.where('userId', 'in', userIds);
    models = models.where('userId', 'in', userIds);
  }
  const [openRows, kindRows, modelRows] = await Promise.all([
    before.execute(),
    within.execute(),
    models.execute(),
  ]);
  const out = new Map<number, Statement>();
  const get = (userId: number) => {
    let s = out.get(userId);
    if (!s) {
      s = {
        userId,
        month,
        opening: 0,
        topups: 0,
        refunds: 0,
        adjustments: 0,
        usage: 0,
        requests: 0,
        closing: 0,
        usageByModel: [],
        generatedAt: null,
      };
      out.set(userId, s);
    }
    return s;
  };
  for (const r of openRows) get(r.userId).opening = -num(r.cost);
  for (const r of kindRows) {
    const s = get(r.userId);
    const cost = num(r.cost);
    if (CREDIT_KINDS.includes(r.kind)) s.topups += -cost;
    else if (r.kind === 'refund') s.refunds += cost;
    else if (r.kind === 'usage') {
      s.usage += cost;
      s.requests += num(r.n);
    } else s.adjustments += -cost;
  }
  for (const r of modelRows) {
    get(r.userId).usageByModel.push({
      model: r.model,
      requests: num(r.n),
      promptTokens: num(r.prompt),
      completionTokens: num(r.completion),
      cost: num(r.cost),
    });
  }
  for (const s of out.values()) {
    s.closing = s.opening + s.topups - s.refunds + s.adjustments - s.usage;
    s.usageByModel.sort((a, b) => b.cost - a.cost || a.model.localeCompare(b.model));
  }
  if (userIds) for (const id of userIds) get(id);
  return out;
}

/**
 * Stores the statements of `month` for every user with a balance or activity (SPEC §6,
 * `user_invoice_month`). Existing statements are kept: the job can run any number of times.
 */
export async function generateStatements(deps: Deps, month: string): Promise<{ generated: number }> {
  const all = await computeStatements(deps, month);
  const existing = new Set(
    (await deps.db.db.selectFrom('statements').select('userId').where('month', '=', month).execute()).map(
      (r) => r.userId,
    ),
  );
  const now = deps.now();
  const rows = [...all.values()]
    .filter((s) => !existing.has(s.userId))
    .filter((s) => s.opening !== 0 || s.closing !== 0 || s.requests > 0 || s.topups !== 0)
    .map((s) => ({
      userId: s.userId,
      month,
      opening: s.opening,
      topups: s.topups,
      refunds: s.refunds,
      adjustments: s.adjustments,
      usage: s.usage,
      requests: s.requests,
      closing: s.closing,
      usageByModel: JSON.stringify(s.usageByModel),
      generatedAt: now,
    }));
  let generated = 0;
  for (const row of rows) {
    try {
      await deps.db.db.insertInto('statements').values(row).execute();
      generated++;
    } catch {
      // another leader generated it in the meantime (unique user+month): keep theirs
    }
  }
  return { generated };
}

/** A user's statement: the stored one when the month was closed, otherwise computed now. */
export async function getStatement(deps: Deps, userId: number, month: string): Promise<Statement> {
  const parsed = monthSchema.safeParse(month);
  if (!parsed.success) throw new ServiceError('BAD_REQUEST', 'month: a month as YYYY-MM');
  const stored = await deps.db.db
    .selectFrom('statements')
    .select([
      'userId',
      'month',
      'opening',
      'topups',
      'refunds',
      'adjustments',
      'usage',
      'requests',
      'closing',
      'usageByModel',
      'generatedAt',
    ])
    .where('userId', '=', userId)
    .where('month', '=', month)
    .executeTakeFirst();
  if (stored) {
    return {
      ...stored,
      opening: num(stored.opening),
      topups: num(stored.topups),
      refunds: num(stored.refunds),
      adjustments: num(stored.adjustments),
      usage: num(stored.usage),
      requests: num(stored.requests),
      closing: num(stored.closing),
      usageByModel: JSON.parse(stored.usageByModel) as StatementModelLine[],
      generatedAt: num(stored.generatedAt),
    };
  }
  return (await computeStatements(deps, month, [userId])).get(userId)!;
}

/** Months a user can open: every month from their first log row (or sign-up) to now, newest first. */
export async function statementMonths(deps: Deps, userId: number): Promise<string[]> {
  const first = await deps.db.db
    .selectFrom('users')
    .select('createdAt')
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!first) throw new ServiceError('NOT_FOUND', 'user not found');
  const firstLog = await deps.db.db
    .selectFrom('logs')
    .select((eb) => eb.fn.min('createdAt').as('t'))
    .where('userId', '=', userId)
    .executeTakeFirst();
  const from = Math.min(num(first.createdAt), firstLog?.t == null ? Infinity : num(firstLog.t));
  const months: string[] = [];
  let m = monthOf(deps.now());
  const stop = monthOf(from);
  while (months.length < 120) {
    months.push(m);
    if (m <= stop) break;
    m = previousMonth(m);
  }
  return months;
}

/** The site-wide revenue of the last `months` months, newest first. */
export async function revenueReport(deps: Deps, months: number) {
  const out = [];
  let m = monthOf(deps.now());
  for (let i = 0; i < months; i++, m = previousMonth(m)) {
    const { start, end } = monthRange(m);
    const [paid, refunded, logs] = await Promise.all([
      deps.db.db
        .selectFrom('topups')
        .select((eb) => [
          eb.fn.countAll().as('n'),
          eb.fn.sum('moneyCents').as('cents'),
          eb.fn.sum('quota').as('quota'),
        ])
        .where('completedAt', '>=', start)
        .where('completedAt', '<', end)
        .where('status', 'in', ['paid', 'refunded', 'partial_refund'])
        .executeTakeFirstOrThrow(),
      deps.db.db
        .selectFrom('ledger')
        .select((eb) => eb.fn.sum('amount').as('amount'))
        .where('kind', '=', 'refund')
        .where('createdAt', '>=', start)
        .where('createdAt', '<', end)
        .executeTakeFirstOrThrow(),
      deps.db.db
        .selectFrom('logs')
        .select((eb) => [
          'kind',
          eb.fn.countAll().as('n'),
          eb.fn.sum('cost').as('cost'),
          eb.fn.sum('channelCost').as('channelCost'),
        ])
        .where('createdAt', '>=', start)
        .where('createdAt', '<', end)
        .groupBy('kind')
        .execute(),
    ]);
    const refundedCents = await deps.db.db
      .selectFrom('topups')
      .select((eb) => eb.fn.sum('refundedCents').as('cents'))
      .where('completedAt', '>=', start)
      .where('completedAt', '<', end)
      .executeTakeFirstOrThrow();
    const kind = (k: string) => logs.find((r) => r.kind === k);
    out.push({
      month: m,
      topups: num(paid.n),
      topupCents: num(paid.cents),
      refundedCents: num(refundedCents.cents),
      quotaSold: num(paid.quota),
      quotaRefunded: -num(refunded.amount),
      codeQuota: -num(kind('code')?.cost),
      usage: num(kind('usage')?.cost),
      requests: num(kind('usage')?.n),
      channelCost: num(kind('usage')?.channelCost),
    });
  }
  return out;
}
