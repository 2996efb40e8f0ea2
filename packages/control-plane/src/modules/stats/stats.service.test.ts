import type { LogsTable } from '@tollgate/shared/db/index.ts';
import type { Insertable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anonCaller,
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  rid,
  type SignedInUser,
  type TestDeps,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { createChannel } from '../channels/channels.service.ts';
import { setSetting } from '../settings/settings.service.ts';
import { createToken } from '../tokens/tokens.service.ts';
import { DAY_MS, statsRangeSchema } from './stats.schemas.ts';
import { dayBuckets, percentileOffset, ratio } from './stats.service.ts';

type LogInput = Omit<Insertable<LogsTable>, 'requestId'>;

const at = (iso: string) => Date.parse(iso);
const range = (from: string, to: string, tzOffsetMinutes = 0) =>
  statsRangeSchema.parse({ from: at(from), to: at(to), tzOffsetMinutes });

describe('percentileOffset (nearest rank)', () => {
  it.each([
    [100, 0.5, 49],
    [100, 0.95, 94],
    [120, 0.5, 59],
    [120, 0.95, 113],
    [1, 0.5, 0],
    [1, 0.95, 0],
    [2, 0.5, 0],
    [2, 0.95, 1],
    [3, 0.5, 1],
  ])('n=%i p=%f → offset %i', (n, p, offset) => {
    expect(percentileOffset(n, p)).toBe(offset);
  });
});

describe('dayBuckets and the range schema', () => {
  it('lists every calendar day of [from, to), in the viewer’s time zone', () => {
    expect(dayBuckets(range('2026-01-08T00:00:00Z', '2026-01-11T00:00:00Z')).map((d) => d.day)).toEqual([
      '2026-01-08',
      '2026-01-09',
      '2026-01-10',
    ]);
    // UTC+9: local midnight of the 8th is 15:00Z on the 7th
    expect(dayBuckets(range('2026-01-07T15:00:00Z', '2026-01-09T15:00:00Z', 540)).map((d) => d.day)).toEqual([
      '2026-01-08',
      '2026-01-09',
    ]);
  });

  it('refuses an empty or reversed range and one over 366 days', () => {
    const from = at('2026-01-01T00:00:00Z');
    expect(statsRangeSchema.safeParse({ from, to: from }).success).toBe(false);
    expect(statsRangeSchema.safeParse({ from, to: from - 1 }).success).toBe(false);
    expect(statsRangeSchema.safeParse({ from, to: from + 366 * DAY_MS }).success).toBe(true);
    expect(statsRangeSchema.safeParse({ from, to: from + 366 * DAY_MS + 1 }).success).toBe(false);
    expect(statsRangeSchema.safeParse({ from, to: from + DAY_MS, tzOffsetMinutes: 900 }).success).toBe(false);
  });

  it('ratio is null without a denominator', () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(0, 0)).toBeNull();
  });
});

describe.each(DB_KINDS)('stats service on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  /** Inserts log rows as the relay writes them; every column is given (SQLite has no DEFAULT in a multi-row VALUES). */
  async function insertLogs(rows: LogInput[]): Promise<void> {
    const full = rows.map((r) => ({
      requestId: `t-${rid(10)}`,
      kind: 'usage',
      tokenId: null,
      model: '',
      channelId: null,
      promptTokens: 0,
      cachedTokens: 0,
      completionTokens: 0,
      cost: 0,
      channelCost: 0,
      latencyMs: 0,
      statusCode: 200,
      errorCode: null,
      ...r,
    }));
    for (let i = 0; i < full.length; i += 200) {
      await deps.db.db
        .insertInto('logs')
        .values(full.slice(i, i + 200))
        .execute();
    }
  }

  async function keyOf(userId: number, name: string): Promise<number> {
    return (await createToken(deps, userId, { name })).token.id;
  }

  async function channelNamed(name: string): Promise<number> {
    const c = await createChannel(deps, {
      name,
      baseUrl: 'https://upstream.example.test/v1',
      keys: [`sk-up-${rid(12)}`],
      models: ['*'],
    });
    return c.id;
  }

  /**
   * The main world, on 2026-01-08 … 2026-01-10 (UTC): user A makes 100 successful calls with latencies
   * 1…100 ms, user B makes 20 successful calls with latencies 101…120 ms and 10 failed ones; around
   * them sit rows that must not count (a top-up, an adjustment, a row before and one at the end).
   */
  describe('a known world', () => {
    const r = range('2026-01-08T00:00:00Z', '2026-01-11T00:00:00Z');
    let a: SignedInUser;
    let b: SignedInUser;
    let admin: SignedInUser;
    let keys: { a1: number; a2: number; b1: number };
    let channels: { primary: number; backup: number };

    beforeAll(async () => {
      [a, b, admin] = await Promise.all([
        createUserWithSession(deps, 'user'),
        createUserWithSession(deps, 'user'),
        createUserWithSession(deps, 'admin'),
      ]);
      keys = {
        a1: await keyOf(a.user.id, 'alpha key'),
        a2: await keyOf(a.user.id, 'beta key'),
        b1: await keyOf(b.user.id, 'b key'),
      };
      channels = {
        primary: await channelNamed(`primary ${rid(3)}`),
        backup: await channelNamed(`backup ${rid(3)}`),
      };
      const rows: LogInput[] = [];
      for (let i = 1; i <= 100; i++) {
        rows.push({
          createdAt: at(i <= 60 ? '2026-01-09T00:00:00Z' : '2026-01-10T00:00:00Z') + i * 60_000,
          userId: a.user.id,
          tokenId: i <= 70 ? keys.a1 : keys.a2,
          model: 'gpt-4o-mini',
          channelId: channels.primary,
          promptTokens: 10,
          cachedTokens: 2,
          completionTokens: 5,
          cost: 100,
          channelCost: 60,
          latencyMs: i,
          statusCode: 200,
        });
      }
      for (let i = 1; i <= 30; i++) {
        const ok = i <= 20;
        rows.push({
          createdAt: at('2026-01-08T12:00:00Z') + i * 1_000,
          userId: b.user.id,
          tokenId: keys.b1,
          model: 'claude-3-haiku',
          channelId: channels.backup,
          promptTokens: ok ? 20 : 0,
          completionTokens: ok ? 10 : 0,
          cost: ok ? 300 : 0,
          channelCost: ok ? 100 : 0,
          latencyMs: ok ? 100 + i : 5_000,
          statusCode: ok ? 200 : i <= 28 ? 502 : 429,
          errorCode: ok ? null : 'upstream_error',
        });
      }
      const noise = {
        userId: a.user.id,
        tokenId: keys.a1,
        model: 'gpt-4o-mini',
        channelId: channels.primary,
      };
      rows.push(
        { ...noise, createdAt: at('2026-01-09T05:00:00Z'), kind: 'topup', cost: -1_000_000 },
        { ...noise, createdAt: at('2026-01-09T05:00:00Z'), kind: 'adjust', cost: 777 },
        { ...noise, createdAt: at('2026-01-08T00:00:00Z') - 1, cost: 5_000, latencyMs: 1, statusCode: 500 },
        { ...noise, createdAt: at('2026-01-11T00:00:00Z'), cost: 5_000, latencyMs: 1, statusCode: 500 },
      );
      await insertLogs(rows);
    });

    it('adminDashboard: totals, error rate, money and active users', async () => {
      const d = await admin.caller.stats.adminDashboard(r);
      expect(d.totals).toEqual({
        requests: 130,
        errors: 10,
        errorRate: 10 / 130,
        promptTokens: 1400,
        cachedTokens: 200,
        completionTokens: 700,
        revenue: 16_000,
        cost: 8_000,
        margin: 8_000,
        marginRate: 0.5,
        activeUsers: 2,
      });
      expect(d.currency).toEqual({ quotaPerUnit: 500_000, currency: 'USD' });
    });

    it('adminDashboard: p50/p95 latency of the successful requests (1…120 ms → 60 and 114)', async () => {
      const d = await admin.caller.stats.adminDashboard(r);
      expect(d.latency).toEqual({ samples: 120, p50: 60, p95: 114 });
    });

    it('adminDashboard: one bucket per day, with empty days filled', async () => {
      const wide = range('2026-01-07T00:00:00Z', '2026-01-12T00:00:00Z');
      const d = await admin.caller.stats.adminDashboard(wide);
      expect(d.daily).toEqual([
        { day: '2026-01-07', requests: 1, errors: 1, revenue: 5_000, cost: 0 },
        { day: '2026-01-08', requests: 30, errors: 10, revenue: 6_000, cost: 2_000 },
        { day: '2026-01-09', requests: 60, errors: 0, revenue: 6_000, cost: 3_600 },
        { day: '2026-01-10', requests: 40, errors: 0, revenue: 4_000, cost: 2_400 },
        { day: '2026-01-11', requests: 1, errors: 1, revenue: 5_000, cost: 0 },
      ]);
      const exact = await admin.caller.stats.adminDashboard(r);
      expect(exact.daily.map((x) => x.day)).toEqual(['2026-01-08', '2026-01-09', '2026-01-10']);
      expect(exact.daily.reduce((s, x) => s + x.requests, 0)).toBe(exact.totals.requests);
    });

    it('adminDashboard: models, top users with e-mail, channels with failure rate', async () => {
      const d = await admin.caller.stats.adminDashboard(r);
      expect(d.models).toEqual([
        { model: 'gpt-4o-mini', requests: 100, tokens: 1500, revenue: 10_000 },
        { model: 'claude-3-haiku', requests: 30, tokens: 600, revenue: 6_000 },
      ]);
      expect(d.topUsers).toEqual([
        { userId: a.user.id, email: a.user.email, requests: 100, revenue: 10_000, cost: 6_000 },
        { userId: b.user.id, email: b.user.email, requests: 30, revenue: 6_000, cost: 2_000 },
      ]);
      expect(d.channels).toEqual([
        {
          channelId: channels.primary,
          name: expect.stringMatching(/^primary /),
          requests: 100,
          failures: 0,
          failureRate: 0,
          avgLatencyMs: 51,
        },
        {
          channelId: channels.backup,
          name: expect.stringMatching(/^backup /),
          requests: 30,
          failures: 10,
          failureRate: 1 / 3,
          avgLatencyMs: Math.round((2_210 + 50_000) / 30),
        },
      ]);
    });

    it('days follow the viewer’s time zone (UTC−1 moves rows just after midnight to the day before)', async () => {
      const local = await admin.caller.stats.adminDashboard(
        range('2026-01-08T01:00:00Z', '2026-01-11T01:00:00Z', -60),
      );
      expect(local.daily.map((x) => [x.day, x.requests])).toEqual([
        // B's 30 noon rows and A's 00:01Z…00:59Z rows; 01:00Z is local midnight of the 9th
        ['2026-01-08', 89],
        ['2026-01-09', 1],
        // A's 01:01Z…01:40Z rows of the 10th, and the 11th's midnight row (23:00 local, still in range)
        ['2026-01-10', 41],
      ]);
    });

    it('myUsage: only the caller’s rows — per day, per model, per key — and the balance', async () => {
      await deps.db.db.updateTable('users').set({ balance: 1_234_567 }).where('id', '=', a.user.id).execute();
      const mine = await a.caller.stats.myUsage(r);
      expect(mine.balance).toBe(1_234_567);
      expect(mine.totals).toEqual({
        requests: 100,
        errors: 0,
        promptTokens: 1000,
        cachedTokens: 200,
        completionTokens: 500,
        cost: 10_000,
      });
      expect(mine.daily).toEqual([
        { day: '2026-01-08', requests: 0, tokens: 0, cost: 0 },
        { day: '2026-01-09', requests: 60, tokens: 900, cost: 6_000 },
        { day: '2026-01-10', requests: 40, tokens: 600, cost: 4_000 },
      ]);
      expect(mine.models).toEqual([{ model: 'gpt-4o-mini', requests: 100, tokens: 1500, cost: 10_000 }]);
      expect(mine.keys).toEqual([
        { tokenId: keys.a1, name: 'alpha key', requests: 70, tokens: 1050, cost: 7_000 },
        { tokenId: keys.a2, name: 'beta key', requests: 30, tokens: 450, cost: 3_000 },
      ]);

      const theirs = await b.caller.stats.myUsage(r);
      expect(theirs.totals.requests).toBe(30);
      expect(theirs.totals.errors).toBe(10);
      expect(theirs.keys.map((k) => k.name)).toEqual(['b key']);
      expect(theirs.models.map((m) => m.model)).toEqual(['claude-3-haiku']);
      const json = JSON.stringify(theirs);
      expect(json).not.toContain('alpha key');
      expect(json).not.toContain('gpt-4o-mini');
      expect(json).not.toContain(a.user.email);
    });

    it('myUsage: a userId in the input is ignored; the session decides whose usage it is', async () => {
      const input = { ...r, userId: a.user.id } as typeof r;
      const res = await b.caller.stats.myUsage(input);
      expect(res.totals.requests).toBe(30);
      expect(res.keys.every((k) => k.tokenId === keys.b1)).toBe(true);
    });

    it('myUsage: a user with no traffic gets zeros, not someone else’s numbers', async () => {
      const c = await createUserWithSession(deps, 'user');
      const res = await c.caller.stats.myUsage(r);
      expect(res.totals).toEqual({
        requests: 0,
        errors: 0,
        promptTokens: 0,
        cachedTokens: 0,
        completionTokens: 0,
        cost: 0,
      });
      expect(res.models).toEqual([]);
      expect(res.keys).toEqual([]);
      expect(res.daily.every((x) => x.requests === 0)).toBe(true);
      expect(res.balance).toBe(0);
    });

    it('myUsage of a deleted key keeps its numbers with a null name', async () => {
      const c = await createUserWithSession(deps, 'user');
      const gone = await keyOf(c.user.id, 'short-lived');
      await insertLogs([
        {
          createdAt: at('2026-01-09T10:00:00Z'),
          userId: c.user.id,
          tokenId: gone,
          cost: 42,
          statusCode: 200,
        },
      ]);
      await c.caller.tokens.delete({ id: gone });
      const res = await c.caller.stats.myUsage(r);
      expect(res.keys).toEqual([{ tokenId: gone, name: null, requests: 1, tokens: 0, cost: 42 }]);
    });

    it('the display currency follows the settings', async () => {
      await setSetting(deps, 'display_currency', 'CNY');
      await setSetting(deps, 'quota_per_unit', 1_000_000);
      try {
        expect((await a.caller.stats.myUsage(r)).currency).toEqual({
          quotaPerUnit: 1_000_000,
          currency: 'CNY',
        });
        expect((await admin.caller.stats.adminDashboard(r)).currency).toEqual({
          quotaPerUnit: 1_000_000,
          currency: 'CNY',
        });
      } finally {
        await setSetting(deps, 'display_currency', 'USD');
        await setSetting(deps, 'quota_per_unit', 500_000);
      }
    });

    it('refuses bad ranges with BAD_REQUEST, and the wrong role before looking at the input', async () => {
      const from = at('2026-01-01T00:00:00Z');
      for (const input of [
        { from, to: from },
        { from, to: from + 367 * DAY_MS },
        { from: -1, to: from },
      ]) {
        expect((await outcomeOf(() => admin.caller.stats.adminDashboard(input))).outcome).toBe('BAD_REQUEST');
        expect((await outcomeOf(() => a.caller.stats.myUsage(input))).outcome).toBe('BAD_REQUEST');
      }
      expect((await outcomeOf(() => a.caller.stats.adminDashboard(r))).outcome).toBe('FORBIDDEN');
      expect((await outcomeOf(() => anonCaller(deps).stats.myUsage(r))).outcome).toBe('UNAUTHORIZED');
    });
  });

  it('adminDashboard: the ten most requested models, then one "other" slice', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const u = await createUserWithSession(deps, 'user');
    const rows: LogInput[] = [];
    // model m01 has 12 calls … m12 has 1; each call costs 10 and uses 3 tokens
    for (let m = 1; m <= 12; m++) {
      for (let i = 0; i < 13 - m; i++) {
        rows.push({
          createdAt: at('2025-03-03T08:00:00Z') + m * 1_000 + i,
          userId: u.user.id,
          model: `m${String(m).padStart(2, '0')}`,
          promptTokens: 2,
          completionTokens: 1,
          cost: 10,
          statusCode: 200,
        });
      }
    }
    await insertLogs(rows);
    const d = await admin.caller.stats.adminDashboard(range('2025-03-03T00:00:00Z', '2025-03-04T00:00:00Z'));
    expect(d.models.map((x) => [x.model, x.requests])).toEqual([
      ['m01', 12],
      ['m02', 11],
      ['m03', 10],
      ['m04', 9],
      ['m05', 8],
      ['m06', 7],
      ['m07', 6],
      ['m08', 5],
      ['m09', 4],
      ['m10', 3],
      [null, 3],
    ]);
    expect(d.models.at(-1)).toEqual({ model: null, requests: 3, tokens: 9, revenue: 30 });
    expect(d.totals.requests).toBe(78);
    // no channel on these rows: counted in the totals, listed under no channel
    expect(d.channels).toEqual([]);
    expect(d.latency).toEqual({ samples: 78, p50: 0, p95: 0 });
  });

  it('an empty range answers zeros and nulls, not errors', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const d = await admin.caller.stats.adminDashboard(range('2020-02-01T00:00:00Z', '2020-02-08T00:00:00Z'));
    expect(d.totals).toMatchObject({ requests: 0, errors: 0, errorRate: null, revenue: 0, marginRate: null });
    expect(d.latency).toEqual({ samples: 0, p50: null, p95: null });
    expect(d.daily).toHaveLength(7);
    expect(d.models).toEqual([]);
    expect(d.topUsers).toEqual([]);
  });

  it('serves a 366-day range (a year of buckets) without loading rows', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const from = at('2024-01-01T00:00:00Z');
    const d = await admin.caller.stats.adminDashboard({ from, to: from + 366 * DAY_MS });
    expect(d.daily).toHaveLength(366);
    expect(d.daily[0]?.day).toBe('2024-01-01');
    expect(d.daily.at(-1)?.day).toBe('2024-12-31');
  });
});
