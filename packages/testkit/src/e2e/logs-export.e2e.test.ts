import { type LogSeed, seedLogs } from '@tollgate/control-plane/modules/logs/logs.fixtures.ts';
import { csvRecords, parseCsv } from '@tollgate/control-plane/testing/csv.ts';
import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const NASTY_NOTE = 'needs, "escaping"\nacross lines';
const FORMULAS = ['=HYPERLINK("http://evil.test","x")', '+SUM(1,2)', '-1+2', '@cmd'];

/**
 * The CSV exports against the real site process: thousands of rows written straight into the stack's
 * database, downloaded through `/api/export/*.csv` with a session cookie, parsed back and compared
 * with the rows the database holds for the same filter.
 */
describe.each(['embedded', 'production'] as const)('request log CSV export (%s)', (mode) => {
  let stack: Stack;
  let db: Db;
  let admin: string;
  let alice: string;
  let bob: string;
  let aliceId: number;
  let bobId: number;
  let aliceKey: number;
  const from = Date.UTC(2031, 5, 1);
  const to = from + 3_600_000;

  beforeAll(async () => {
    stack = await startStack(mode);
    db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    const aliceClient = siteClient(stack.siteUrl);
    const bobClient = siteClient(stack.siteUrl);
    const tag = Math.random().toString(36).slice(2, 8);
    const emails = { alice: `alice-${tag}@example.com`, bob: `bob-${tag}@example.com` };
    aliceId = (await aliceClient.auth.register.mutate({ email: emails.alice, password: 'alice-pass-123' }))
      .userId;
    bobId = (await bobClient.auth.register.mutate({ email: emails.bob, password: 'bob-pass-1234' })).userId;
    aliceKey = (await aliceClient.tokens.create.mutate({ name: 'alice main key' })).token.id;
    admin = await sessionCookie(stack.admin.email, stack.admin.password);
    alice = await sessionCookie(emails.alice, 'alice-pass-123');
    bob = await sessionCookie(emails.bob, 'bob-pass-1234');

    // 3,000 rows in the window, two users interleaved; pairs share a millisecond so the export's
    // keyset crosses batch boundaries inside ties; a few rows just outside the window
    const rows: LogSeed[] = [];
    for (let i = 0; i < 3_000; i++) {
      const mine = i % 3 !== 2;
      rows.push({
        userId: mine ? aliceId : bobId,
        tokenId: mine ? aliceKey : null,
        requestId: `req_e2e_${mode}_${i}`,
        createdAt: from + Math.floor(i / 2) * 1_000,
        cost: (i * 37) % 5_000,
        channelCost: (i * 11) % 2_000,
        promptTokens: i,
        completionTokens: i * 2,
        statusCode: i % 50 === 0 ? 502 : 200,
        errorCode: i % 50 === 0 ? 'upstream_error' : null,
        isStream: i % 2,
        ttftMs: i % 2 ? 90 : null,
        note: i === 1_234 ? NASTY_NOTE : null,
        model: i >= 100 && i < 100 + FORMULAS.length ? FORMULAS[i - 100]! : 'gpt-4o-mini',
      });
    }
    rows.push(
      { userId: aliceId, requestId: `req_e2e_${mode}_before`, createdAt: from - 1 },
      { userId: bobId, requestId: `req_e2e_${mode}_after`, createdAt: to },
    );
    await seedLogs({ db }, rows);
  }, 180_000);

  afterAll(async () => {
    await db?.close();
    await stack?.stop();
  });

  /**
   * A session cookie of its own for `email` (signs in over HTTP; the tRPC client of site-client.ts keeps
   * its cookie private).
   */
  async function sessionCookie(email: string, password: string): Promise<string> {
    const res = await fetch(`${stack.siteUrl}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tollgate-csrf': '1' },
      body: JSON.stringify({ email, password }),
    });
    expect(res.status).toBe(200);
    const pair = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('tg_session='));
    if (!pair) throw new Error('login set no session cookie');
    return pair;
  }

  function download(path: string, cookie?: string) {
    return fetch(`${stack.siteUrl}${path}`, cookie ? { headers: { cookie } } : {});
  }

  async function dbRows(where: { userId?: number; from?: number; to?: number }) {
    let q = db.db
      .selectFrom('logs')
      .select(['requestId', 'createdAt', 'userId', 'cost', 'channelCost', 'note', 'model', 'statusCode'])
      .orderBy('createdAt')
      .orderBy('id');
    if (where.userId !== undefined) q = q.where('userId', '=', where.userId);
    if (where.from !== undefined) q = q.where('createdAt', '>=', where.from);
    if (where.to !== undefined) q = q.where('createdAt', '<', where.to);
    return q.execute();
  }

  it('admin CSV for a time range holds exactly the database rows of that range, escaped and guarded', async () => {
    const res = await download(`/api/export/logs.csv?from=${from}&to=${to}`, admin);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="tollgate-logs-[0-9TZ]+\.csv"$/,
    );
    // streamed, not buffered into one body of known length
    expect(res.headers.get('content-length')).toBeNull();
    const body = await res.text();
    const records = csvRecords(body);
    const expected = await dbRows({ from, to });
    expect(expected).toHaveLength(3_000);
    expect(records).toHaveLength(expected.length);
    expect(records.map((r) => r.request_id)).toEqual(expected.map((r) => r.requestId));
    expect(records.map((r) => Number(r.cost))).toEqual(expected.map((r) => Number(r.cost)));
    expect(records.map((r) => Number(r.channel_cost))).toEqual(expected.map((r) => Number(r.channelCost)));
    expect(records.map((r) => r.time)).toEqual(
      expected.map((r) => new Date(Number(r.createdAt)).toISOString()),
    );
    const sumCost = records.reduce((s, r) => s + Number(r.cost), 0);
    expect(sumCost).toBe(expected.reduce((s, r) => s + Number(r.cost), 0));
    // default display: 500000 units = 1 USD
    const r3 = records[3]!;
    expect(r3.currency).toBe('USD');
    expect(r3.cost_display).toBe((Number(r3.cost) / 500_000).toFixed(6));
    expect(records.filter((r) => r.user_email?.startsWith('alice-'))).toHaveLength(2_000);
    expect(records.find((r) => r.key_name)?.key_name).toBe('alice main key');

    const nasty = records.find((r) => r.request_id === `req_e2e_${mode}_1234`)!;
    expect(nasty.note).toBe(NASTY_NOTE);
    expect(body).toContain('"needs, ""escaping""\nacross lines"');
    for (const [k, formula] of FORMULAS.entries()) {
      const row = records.find((r) => r.request_id === `req_e2e_${mode}_${100 + k}`)!;
      expect(row.model).toBe(`'${formula}`);
    }
    // no raw cell starts with a formula character
    for (const row of parseCsv(body)) for (const cell of row) expect(cell).not.toMatch(/^[=+@]/);
  });

  it('filters the admin CSV like the search (user, status)', async () => {
    const res = await download(
      `/api/export/logs.csv?from=${from}&to=${to}&user=${bobId}&status=error`,
      admin,
    );
    const records = csvRecords(await res.text());
    const expected = (await dbRows({ userId: bobId, from, to })).filter((r) => r.statusCode >= 400);
    expect(records.map((r) => r.request_id)).toEqual(expected.map((r) => r.requestId));
    expect(records.length).toBeGreaterThan(0);
  });

  it('a user CSV holds only their own rows and no operator columns, whatever the query string says', async () => {
    const res = await download(`/api/export/my-logs.csv?user=${bobId}&channelId=1`, alice);
    expect(res.status).toBe(200);
    const body = await res.text();
    const [header] = parseCsv(body);
    for (const col of ['user_email', 'channel', 'channel_id', 'channel_cost', 'upstream_model'])
      expect(header).not.toContain(col);
    const records = csvRecords(body);
    const expected = await dbRows({ userId: aliceId });
    expect(records.map((r) => r.request_id)).toEqual(expected.map((r) => r.requestId));
    expect(records.length).toBe(2_001);
    const bobs = csvRecords(await (await download('/api/export/my-logs.csv', bob)).text());
    expect(bobs.map((r) => r.request_id)).toEqual((await dbRows({ userId: bobId })).map((r) => r.requestId));
  });

  it('refuses a user on the admin CSV (403), no session (401), and a bad filter (400)', async () => {
    const forbidden = await download('/api/export/logs.csv', alice);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).not.toContain('req_e2e');
    expect((await download('/api/export/logs.csv')).status).toBe(401);
    expect((await download('/api/export/my-logs.csv')).status).toBe(401);
    const forged = await fetch(`${stack.siteUrl}/api/export/my-logs.csv`, {
      headers: { cookie: 'tg_session=forged-session-token' },
    });
    expect(forged.status).toBe(401);
    expect((await download(`/api/export/logs.csv?from=${to}&to=${from}`, admin)).status).toBe(400);
  });
});
