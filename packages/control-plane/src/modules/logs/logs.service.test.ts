import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../../errors.ts';
import {
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  rid,
  type SignedInUser,
  type TestDeps,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { createChannel } from '../channels/channels.service.ts';
import { createToken } from '../tokens/tokens.service.ts';
import { type LogSeed, seedLog } from './logs.fixtures.ts';
import { countLogsCapped, logConditions } from './logs.queries.ts';
import { searchLogsSchema, searchMyLogsSchema } from './logs.schemas.ts';
import {
  type AdminLogRow,
  getLog,
  getMyLog,
  type LogPage,
  searchLogs,
  searchMyLogs,
} from './logs.service.ts';

const HOUR = 3_600_000;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof ServiceError) return err.code;
    throw err;
  }
}

/** Fields no user may see, in any of their own rows. */
const OPERATOR_ONLY = [
  'channelId',
  'channelName',
  'channelCost',
  'triedChannels',
  'upstreamModel',
  'userEmail',
];

describe.each(DB_KINDS)('logs service on %s', (kind) => {
  let deps: TestDeps;
  let windows = 0;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  /**
   * Two users with a key each (A has two), two channels, and rows in a time window of their own, so
   * admin searches bounded by `from`/`to` see only this world.
   */
  async function world() {
    const from = Date.UTC(2031, 0, 1) + ++windows * 24 * HOUR;
    const to = from + HOUR;
    const a = await createUserWithSession(deps, 'user');
    const b = await createUserWithSession(deps, 'user');
    const admin = await createUserWithSession(deps, 'admin');
    const a1 = (await createToken(deps, a.user.id, { name: 'a one' })).token;
    const a2 = (await createToken(deps, a.user.id, { name: 'a two' })).token;
    const b1 = (await createToken(deps, b.user.id, { name: 'b one' })).token;
    const channel = { baseUrl: 'https://upstream.example.test/v1', keys: [`sk-${rid(8)}`], models: ['*'] };
    const ch1 = await createChannel(deps, { ...channel, name: `one ${rid(3)}` });
    const ch2 = await createChannel(deps, { ...channel, name: `two ${rid(3)}` });
    const seeds: [string, LogSeed][] = [
      ['a0', { userId: a.user.id, tokenId: a1.id, channelId: ch1.id, createdAt: from + 1_000 }],
      [
        'a1',
        { userId: a.user.id, tokenId: a1.id, channelId: ch1.id, createdAt: from + 2_000, model: 'claude-3' },
      ],
      // same millisecond as a1: the keyset must still order and page them exactly
      [
        'a2',
        {
          userId: a.user.id,
          tokenId: a2.id,
          channelId: ch2.id,
          createdAt: from + 2_000,
          statusCode: 429,
          errorCode: 'rate_limited',
          cost: 0,
        },
      ],
      [
        'a3',
        {
          userId: a.user.id,
          tokenId: a2.id,
          channelId: ch2.id,
          createdAt: from + 3_000,
          statusCode: 500,
          errorCode: 'upstream_error',
          cost: 0,
          triedChannels: `${ch1.id},${ch2.id}`,
        },
      ],
      [
        'a4',
        {
          userId: a.user.id,
          tokenId: a1.id,
          channelId: ch1.id,
          createdAt: from + 4_000,
          isStream: 1,
          ttftMs: 120,
          model: 'claude-3',
        },
      ],
      [
        'a5',
        {
          userId: a.user.id,
          kind: 'topup',
          model: '',
          upstreamModel: null,
          cost: -500_000,
          channelCost: 0,
          statusCode: 0,
          createdAt: from + 5_000,
          note: 'welcome',
          ip: null,
        },
      ],
      ['b0', { userId: b.user.id, tokenId: b1.id, channelId: ch1.id, createdAt: from + 1_500 }],
      [
        'b1',
        {
          userId: b.user.id,
          tokenId: b1.id,
          channelId: ch2.id,
          createdAt: from + 2_500,
          statusCode: 502,
          errorCode: 'upstream_error',
        },
      ],
      [
        'b2',
        {
          userId: b.user.id,
          tokenId: b1.id,
          channelId: ch2.id,
          createdAt: from + 3_500,
          requestId: `req_${rid(4)}_50%_off`,
        },
      ],
      // outside the window: never in a windowed search
      ['late', { userId: a.user.id, tokenId: a1.id, channelId: ch1.id, createdAt: to }],
    ];
    const ids: Record<string, number> = {};
    const requestIds: Record<string, string> = {};
    for (const [name, seed] of seeds) {
      const requestId = seed.requestId ?? `req_${rid(6)}_${name}`;
      ids[name] = await seedLog(deps, { ...seed, requestId });
      requestIds[name] = requestId;
    }
    const nameOf = (id: number) => Object.entries(ids).find(([, v]) => v === id)?.[0] ?? `?${id}`;
    return { from, to, a, b, admin, a1, a2, b1, ch1, ch2, ids, requestIds, nameOf };
  }

  const names = (w: { nameOf(id: number): string }, page: LogPage<{ id: number }>) =>
    page.rows.map((r) => w.nameOf(r.id));

  function search(input: Record<string, unknown>) {
    return searchLogs(deps, searchLogsSchema.parse(input));
  }

  describe('search (admin)', () => {
    it('returns the window newest first, ties broken by id, with e-mail, key and channel joined', async () => {
      const w = await world();
      const page = await search({ from: w.from, to: w.to });
      expect(names(w, page)).toEqual(['a5', 'a4', 'b2', 'a3', 'b1', 'a2', 'a1', 'b0', 'a0']);
      expect(page.total).toBe(9);
      expect(page.totalCapped).toBe(false);
      expect(page.nextCursor).toBeNull();
      expect(page.display).toEqual({ quotaPerUnit: 500_000, currency: 'USD' });
      const a3 = page.rows.find((r) => r.id === w.ids.a3)!;
      expect(a3).toMatchObject({
        requestId: w.requestIds.a3,
        kind: 'usage',
        userId: w.a.user.id,
        userEmail: w.a.user.email,
        tokenId: w.a2.id,
        tokenName: 'a two',
        channelId: w.ch2.id,
        channelName: w.ch2.name,
        triedChannels: [w.ch1.id, w.ch2.id],
        statusCode: 500,
        errorCode: 'upstream_error',
        channelCost: 40,
        stream: false,
        ip: '203.0.113.7',
      });
      const topup = page.rows.find((r) => r.id === w.ids.a5)!;
      expect(topup).toMatchObject({
        kind: 'topup',
        cost: -500_000,
        tokenId: null,
        tokenName: null,
        channelName: null,
      });
      expect(page.rows.find((r) => r.id === w.ids.a4)).toMatchObject({ stream: true, ttftMs: 120 });
    });

    it.each([
      ['user id', (w: World) => ({ user: String(w.b.user.id) }), ['b2', 'b1', 'b0']],
      ['user e-mail (any case)', (w: World) => ({ user: w.b.user.email.toUpperCase() }), ['b2', 'b1', 'b0']],
      ['unknown user', () => ({ user: 'nobody@example.test' }), []],
      ['key', (w: World) => ({ tokenId: w.a2.id }), ['a3', 'a2']],
      ['model', () => ({ model: 'claude-3' }), ['a4', 'a1']],
      ['channel', (w: World) => ({ channelId: w.ch2.id }), ['b2', 'a3', 'b1', 'a2']],
      ['status ok (2xx)', () => ({ status: 'ok' }), ['a4', 'b2', 'a1', 'b0', 'a0']],
      ['status error (4xx/5xx)', () => ({ status: 'error' }), ['a3', 'b1', 'a2']],
      ['exact status', () => ({ status: 429 }), ['a2']],
      ['kind', () => ({ kind: 'topup' }), ['a5']],
      ['request id', (w: World) => ({ requestId: w.requestIds.a1 }), ['a1']],
      [
        'request id prefix, wildcards taken literally',
        (w: World) => ({ requestId: w.requestIds.b2!.slice(0, -4) }),
        ['b2'],
      ],
      ['a `%` matches only a literal %', () => ({ requestId: 'req_%' }), []],
      [
        'combined',
        (w: World) => ({ user: w.a.user.email, model: 'gpt-4o-mini', status: 'error' }),
        ['a3', 'a2'],
      ],
    ] as const)('filters by %s', async (_name, filter, expected) => {
      const w = await world();
      const page = await search({ from: w.from, to: w.to, ...filter(w) });
      expect(names(w, page)).toEqual(expected);
      expect(page.total).toBe(expected.length);
    });

    it('narrows by time: from inclusive, to exclusive', async () => {
      const w = await world();
      expect(names(w, await search({ from: w.from + 2_000, to: w.from + 3_000 }))).toEqual([
        'b1',
        'a2',
        'a1',
      ]);
      expect(names(w, await search({ from: w.to, to: w.to + 1 }))).toEqual(['late']);
    });

    it('pages with a keyset cursor: every row once, in order, across equal timestamps', async () => {
      const w = await world();
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await search({ from: w.from, to: w.to, limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.total).toBe(9);
        expect(page.rows.length).toBeLessThanOrEqual(2);
        seen.push(...names(w, page));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 20);
      expect(pages).toBe(5);
      expect(seen).toEqual(['a5', 'a4', 'b2', 'a3', 'b1', 'a2', 'a1', 'b0', 'a0']);
    });

    it('refuses bad input: page size over 200, a reversed range, a malformed cursor', () => {
      expect(searchLogsSchema.safeParse({ limit: 201 }).success).toBe(false);
      expect(searchLogsSchema.safeParse({ limit: 200 }).success).toBe(true);
      expect(searchLogsSchema.safeParse({ from: 10, to: 10 }).success).toBe(false);
      expect(searchLogsSchema.safeParse({ cursor: '1;drop table logs' }).success).toBe(false);
      expect(searchLogsSchema.safeParse({ status: 'warn' }).success).toBe(false);
      expect(searchLogsSchema.safeParse({ kind: 'refund' }).success).toBe(false);
    });

    it('counts at most cap + 1 rows', async () => {
      const w = await world();
      const where = logConditions({ from: w.from, to: w.to });
      expect(await countLogsCapped(deps.db.db, where, 100)).toBe(9);
      expect(await countLogsCapped(deps.db.db, where, 4)).toBe(5);
    });

    it('get returns any row with everything; a missing id is NOT_FOUND', async () => {
      const w = await world();
      const { row } = await getLog(deps, w.ids.b1!);
      expect(row).toMatchObject({
        userEmail: w.b.user.email,
        channelId: w.ch2.id,
        channelCost: 40,
        upstreamModel: 'gpt-4o-mini',
        statusCode: 502,
      } satisfies Partial<AdminLogRow>);
      expect(await codeOf(getLog(deps, 2_000_000_000))).toBe('NOT_FOUND');
    });
  });

  describe('mine (user)', () => {
    it('returns only the caller’s rows, without channel, channel cost or upstream model', async () => {
      const w = await world();
      const page = await searchMyLogs(
        deps,
        w.a.user.id,
        searchMyLogsSchema.parse({ from: w.from, to: w.to }),
      );
      expect(names(w, page)).toEqual(['a5', 'a4', 'a3', 'a2', 'a1', 'a0']);
      expect(page.total).toBe(6);
      for (const row of page.rows) for (const key of OPERATOR_ONLY) expect(row).not.toHaveProperty(key);
      expect(page.rows.find((r) => r.id === w.ids.a3)).toMatchObject({
        tokenName: 'a two',
        statusCode: 500,
        ip: '203.0.113.7',
        cost: 0,
      });
      const b = await searchMyLogs(deps, w.b.user.id, searchMyLogsSchema.parse({ from: w.from, to: w.to }));
      expect(names(w, b)).toEqual(['b2', 'b1', 'b0']);
    });

    it('filters and pages within the caller’s rows only', async () => {
      const w = await world();
      const mine = (input: Record<string, unknown>) =>
        searchMyLogs(deps, w.a.user.id, searchMyLogsSchema.parse({ from: w.from, to: w.to, ...input }));
      expect(names(w, await mine({ tokenId: w.a2.id }))).toEqual(['a3', 'a2']);
      expect(names(w, await mine({ status: 'error' }))).toEqual(['a3', 'a2']);
      expect(names(w, await mine({ kind: 'topup' }))).toEqual(['a5']);
      // another user's key or request id finds nothing
      expect(names(w, await mine({ tokenId: w.b1.id }))).toEqual([]);
      expect(names(w, await mine({ requestId: w.requestIds.b0 }))).toEqual([]);
      const first = await mine({ limit: 4 });
      expect(names(w, first)).toEqual(['a5', 'a4', 'a3', 'a2']);
      const second = await mine({ limit: 4, cursor: first.nextCursor! });
      expect(names(w, second)).toEqual(['a1', 'a0']);
      expect(second.nextCursor).toBeNull();
    });

    it('over tRPC: admin-only filters are not accepted from a user, and the JSON holds no channel data', async () => {
      const w = await world();
      const page = await w.a.caller.logs.mine({
        from: w.from,
        to: w.to,
        // not part of the user's schema: stripped, so it cannot widen or probe anything
        ...({ user: String(w.b.user.id), channelId: w.ch2.id } as object),
      });
      expect(names(w, page)).toEqual(['a5', 'a4', 'a3', 'a2', 'a1', 'a0']);
      const json = JSON.stringify(page);
      expect(json).not.toMatch(/channelCost|channelId|channelName|triedChannels|upstreamModel/);
      expect(json).not.toContain(w.ch1.name);
      expect(json).not.toContain(w.b.user.email);
    });

    it('getMine: the caller’s row; another user’s row is NOT_FOUND exactly like a missing one', async () => {
      const w = await world();
      const { row } = await getMyLog(deps, w.a.user.id, w.ids.a3!);
      expect(row).toMatchObject({ id: w.ids.a3, statusCode: 500, tokenName: 'a two' });
      for (const key of OPERATOR_ONLY) expect(row).not.toHaveProperty(key);
      const foreign = await outcomeOf(() => w.a.caller.logs.getMine({ id: w.ids.b0! }));
      const missing = await outcomeOf(() => w.a.caller.logs.getMine({ id: 2_000_000_000 }));
      expect(foreign.outcome).toBe('NOT_FOUND');
      expect(missing.outcome).toBe('NOT_FOUND');
      expect((foreign.error as Error).message).toBe((missing.error as Error).message);
      // an admin's own view is scoped the same way
      expect((await outcomeOf(() => w.admin.caller.logs.getMine({ id: w.ids.a0! }))).outcome).toBe(
        'NOT_FOUND',
      );
      expect((await w.admin.caller.logs.get({ id: w.ids.a0! })).row.userEmail).toBe(w.a.user.email);
    });

    it('a user cannot reach the admin search or get (FORBIDDEN), and a reversed range is BAD_REQUEST', async () => {
      const w = await world();
      expect((await outcomeOf(() => w.a.caller.logs.search({}))).outcome).toBe('FORBIDDEN');
      expect((await outcomeOf(() => w.a.caller.logs.get({ id: w.ids.b0! }))).outcome).toBe('FORBIDDEN');
      expect((await outcomeOf(() => w.a.caller.logs.mine({ from: w.to, to: w.from }))).outcome).toBe(
        'BAD_REQUEST',
      );
    });
  });
});

type World = {
  a: SignedInUser;
  b: SignedInUser;
  a2: { id: number };
  ch2: { id: number };
  requestIds: Record<string, string>;
};
