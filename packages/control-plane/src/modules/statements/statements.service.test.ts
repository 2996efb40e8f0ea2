import { num } from '@tollgate/shared/db/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeps, createUserWithSession, DB_KINDS, type TestDeps } from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { seedLogs } from '../logs/logs.fixtures.ts';
import { statementCsvResponse } from '../payments/payments.http.ts';
import { generateStatements, monthRange, previousMonth } from './statements.service.ts';

const MONTH = '2026-03';
const { start, end } = monthRange(MONTH);

describe('months', () => {
  it('are UTC ranges', () => {
    expect(monthRange('2026-03')).toEqual({ start: Date.UTC(2026, 2, 1), end: Date.UTC(2026, 3, 1) });
    expect(previousMonth('2026-01')).toBe('2025-12');
  });
});

describe.each(DB_KINDS)('statements on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  /** A month of history for one user: before, inside and after the month, every kind of row. */
  async function seedHistory(userId: number) {
    const at = (d: number) => start + d * 86_400_000 + 3_600_000;
    await seedLogs(deps, [
      { userId, kind: 'topup', cost: -10_000, createdAt: start - 5 * 86_400_000, model: '' },
      { userId, kind: 'usage', cost: 1_500, createdAt: start - 86_400_000, model: 'gpt-4o' },
      { userId, kind: 'topup', cost: -50_000, createdAt: at(1), model: '' },
      { userId, kind: 'code', cost: -2_000, createdAt: at(2), model: '' },
      { userId, kind: 'refund', cost: 5_000, createdAt: at(3), model: '' },
      { userId, kind: 'adjust', cost: 700, createdAt: at(4), model: '' },
      {
        userId,
        kind: 'usage',
        cost: 300,
        model: 'gpt-4o',
        promptTokens: 10,
        completionTokens: 20,
        createdAt: at(5),
      },
      {
        userId,
        kind: 'usage',
        cost: 200,
        model: 'gpt-4o',
        promptTokens: 5,
        completionTokens: 7,
        createdAt: at(6),
      },
      {
        userId,
        kind: 'usage',
        cost: 900,
        model: 'claude-3',
        promptTokens: 1,
        completionTokens: 2,
        createdAt: end - 1,
      },
      { userId, kind: 'usage', cost: 0, model: 'free-model', statusCode: 500, createdAt: start },
      { userId, kind: 'usage', cost: 4_000, createdAt: end, model: 'gpt-4o' },
    ]);
  }

  it('statement figures equal the sums of the log rows of the month', async () => {
    const u = await createUserWithSession(deps, 'user');
    await seedHistory(u.user.id);
    const s = await u.caller.statements.mine({ month: MONTH });
    const sum = async (o: { from?: number; to: number; kinds?: string[] }) => {
      let q = deps.db.db
        .selectFrom('logs')
        .select((eb) => [eb.fn.sum('cost').as('c'), eb.fn.countAll().as('n')])
        .where('userId', '=', u.user.id)
        .where('createdAt', '<', o.to);
      if (o.from !== undefined) q = q.where('createdAt', '>=', o.from);
      if (o.kinds) q = q.where('kind', 'in', o.kinds);
      const r = await q.executeTakeFirstOrThrow();
      return { c: num(r.c), n: num(r.n) };
    };
    const inMonth = (kinds: string[]) => sum({ from: start, to: end, kinds });
    expect(s.opening).toBe(-(await sum({ to: start })).c);
    expect(s.closing).toBe(-(await sum({ to: end })).c);
    expect(s.topups).toBe(-(await inMonth(['topup', 'code'])).c);
    expect(s.refunds).toBe((await inMonth(['refund'])).c);
    expect(s.adjustments).toBe(-(await inMonth(['adjust'])).c);
    const usage = await inMonth(['usage']);
    expect([s.usage, s.requests]).toEqual([usage.c, usage.n]);
    expect(s).toMatchObject({
      opening: 8_500,
      topups: 52_000,
      refunds: 5_000,
      adjustments: -700,
      usage: 1_400,
      requests: 4,
      closing: 53_400,
    });
    expect(s.closing).toBe(s.opening + s.topups - s.refunds + s.adjustments - s.usage);
    expect(s.usageByModel).toEqual([
      { model: 'claude-3', requests: 1, promptTokens: 1, completionTokens: 2, cost: 900 },
      { model: 'gpt-4o', requests: 2, promptTokens: 15, completionTokens: 27, cost: 500 },
      { model: 'free-model', requests: 1, promptTokens: 12, completionTokens: 34, cost: 0 },
    ]);
    expect(s.usageByModel.reduce((a, m) => a + m.cost, 0)).toBe(s.usage);
    expect(s.generatedAt).toBeNull();
  });

  it('the job stores each statement once; stored and live figures agree', async () => {
    const u = await createUserWithSession(deps, 'user');
    await seedHistory(u.user.id);
    const live = await u.caller.statements.mine({ month: MONTH });
    const first = await generateStatements(deps, MONTH);
    expect(first.generated).toBeGreaterThanOrEqual(1);
    expect((await generateStatements(deps, MONTH)).generated).toBe(0);
    const stored = await u.caller.statements.mine({ month: MONTH });
    expect(stored.generatedAt).toBeGreaterThan(0);
    expect({ ...stored, generatedAt: null }).toEqual(live);
    const rows = await deps.db.db
      .selectFrom('statements')
      .select('id')
      .where('userId', '=', u.user.id)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('CSV for the owner, for an admin by user id, refused to another user; admin revenue report', async () => {
    const u = await createUserWithSession(deps, 'user');
    const other = await createUserWithSession(deps, 'user');
    const admin = await createUserWithSession(deps, 'admin');
    await seedHistory(u.user.id);
    const get = (token: string, q: string) =>
      statementCsvResponse(
        deps,
        new Request(`http://x/api/export/statement.csv?${q}`, { headers: { cookie: `tg_session=${token}` } }),
      );
    const mine = await get(u.token, `month=${MONTH}`);
    expect(mine.status).toBe(200);
    const text = await mine.text();
    expect(text).toContain('summary,closing_balance,,,,53400');
    expect(text).toContain('usage_by_model,gpt-4o,2,15,27,500');
    expect(await (await get(admin.token, `month=${MONTH}&userId=${u.user.id}`)).text()).toBe(text);
    expect((await get(other.token, `month=${MONTH}&userId=${u.user.id}`)).status).toBe(403);
    expect((await get(u.token, 'month=2026-13')).status).toBe(400);
    expect((await statementCsvResponse(deps, new Request(`http://x/?month=${MONTH}`))).status).toBe(401);
    expect((await admin.caller.statements.forUser({ userId: u.user.id, month: MONTH })).closing).toBe(53_400);
    expect(
      (await outcomeOf(() => other.caller.statements.forUser({ userId: u.user.id, month: MONTH }))).outcome,
    ).toBe('FORBIDDEN');
    const revenue = await admin.caller.statements.revenue({ months: 3 });
    expect(revenue).toHaveLength(3);
    expect(Object.keys(revenue[0]!)).toEqual(
      expect.arrayContaining(['month', 'topupCents', 'usage', 'channelCost', 'quotaRefunded']),
    );
    expect((await u.caller.statements.months())[0]).toBe(new Date().toISOString().slice(0, 7));
  });
});
