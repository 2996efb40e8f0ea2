import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvRecords, parseCsv } from '../../testing/csv.ts';
import {
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  rid,
  type TestDeps,
} from '../../testing/harness.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import { createToken } from '../tokens/tokens.service.ts';
import { csvPlain, csvText, EXPORT_BATCH, exportLogsResponse, logsCsvStream } from './logs.export.ts';
import { type LogSeed, seedLog, seedLogs } from './logs.fixtures.ts';

describe('csv cells', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r\nlf', '"cr\r\nlf"'],
    ['=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"'],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tlead tab', "'\tlead tab"],
    ['mid=ok', 'mid=ok'],
  ])('csvText(%j) → %j', (input, out) => {
    expect(csvText(input)).toBe(out);
  });

  it('leaves generated values (numbers, decimals, times) unguarded', () => {
    expect(csvPlain(-500000)).toBe('-500000');
    expect(csvPlain('-1.000000')).toBe('-1.000000');
    expect(csvPlain(null)).toBe('');
    expect(csvPlain(true)).toBe('true');
    expect(csvText(null)).toBe('');
  });

  it('round-trips through an RFC 4180 parser', () => {
    const cells = ['a,b', 'say "hi"', 'x\r\ny', '=1+1', ''];
    const [row] = parseCsv(`${cells.map(csvText).join(',')}\r\n`);
    expect(row).toEqual(['a,b', 'say "hi"', 'x\r\ny', "'=1+1", '']);
  });
});

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe.each(DB_KINDS)('logs export on %s', (kind) => {
  let deps: TestDeps;
  let windows = 0;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  function window() {
    const from = Date.UTC(2032, 0, 1) + ++windows * 86_400_000;
    return { from, to: from + 3_600_000 };
  }

  const request = (path: string, token?: string) =>
    new Request(
      `http://site.test${path}`,
      token ? { headers: { cookie: `${SESSION_COOKIE}=${token}` } } : {},
    );

  it('no session → 401, a user on the admin export → 403, a bad filter → 400', async () => {
    const user = await createUserWithSession(deps, 'user');
    const admin = await createUserWithSession(deps, 'admin');
    const anon = await exportLogsResponse(deps, request('/api/export/logs.csv'), 'admin');
    expect(anon.status).toBe(401);
    expect((await exportLogsResponse(deps, request('/x', 'forged-session'), 'mine')).status).toBe(401);
    expect((await exportLogsResponse(deps, request('/x'), 'mine')).status).toBe(401);
    const forbidden = await exportLogsResponse(deps, request('/api/export/logs.csv', user.token), 'admin');
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).not.toContain('csv');
    const bad = await exportLogsResponse(deps, request('/x?from=20&to=10', admin.token), 'admin');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('from');
    expect((await exportLogsResponse(deps, request('/x?status=teapot', user.token), 'mine')).status).toBe(
      400,
    );
  });

  it('streams the admin CSV for a range: every row once, oldest first, escaped and guarded', async () => {
    const { from, to } = window();
    const admin = await createUserWithSession(deps, 'admin');
    const user = await createUserWithSession(deps, 'user');
    const { token } = await createToken(deps, user.user.id, { name: 'csv key' });
    const n = EXPORT_BATCH * 2 + 37;
    const rows: LogSeed[] = Array.from({ length: n }, (_, i) => ({
      userId: user.user.id,
      tokenId: token.id,
      requestId: `req_exp_${from}_${i}`,
      // pairs of equal timestamps: batches end in the middle of a tie
      createdAt: from + Math.floor(i / 2),
      cost: i * 7,
      promptTokens: i,
    }));
    await seedLogs(deps, rows);
    const nasty = await seedLog(deps, {
      userId: user.user.id,
      createdAt: from + n,
      requestId: `req_exp_${from}_nasty`,
      model: '=cmd|"/c calc"!A1',
      note: 'comma, "quote"\nand newline',
      cost: 1_250,
    });
    await seedLog(deps, { userId: user.user.id, createdAt: to, requestId: `req_exp_${from}_outside` });
    const res = await exportLogsResponse(deps, request(`/x?from=${from}&to=${to}`, admin.token), 'admin');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="tollgate-logs-\d{8}T\d{6}Z\.csv"$/,
    );
    const records = csvRecords(await res.text());
    expect(records).toHaveLength(n + 1);
    expect(records.slice(0, n).map((r) => r.request_id)).toEqual(rows.map((r) => r.requestId));
    expect(records.slice(0, n).map((r) => Number(r.cost))).toEqual(rows.map((r) => r.cost));
    expect(records[3]).toMatchObject({
      time: new Date(from + 1).toISOString(),
      user_id: String(user.user.id),
      user_email: user.user.email,
      key_name: 'csv key',
      cost: '21',
      cost_display: '0.000042',
      currency: 'USD',
      channel_cost: '40',
      stream: 'false',
      status: '200',
    });
    const last = records.at(-1)!;
    expect(last.request_id).toBe(`req_exp_${from}_nasty`);
    expect(last.note).toBe('comma, "quote"\nand newline');
    expect(last.model).toBe(`'=cmd|"/c calc"!A1`);
    expect(last.cost_display).toBe('0.002500');
    expect(nasty).toBeGreaterThan(0);
  });

  it('the user CSV has only the caller’s rows and no operator columns; cost_display follows the settings', async () => {
    const { from, to } = window();
    const a = await createUserWithSession(deps, 'user');
    const b = await createUserWithSession(deps, 'user');
    for (let i = 0; i < 5; i++) {
      await seedLog(deps, {
        userId: a.user.id,
        createdAt: from + i,
        requestId: `req_a_${from}_${i}`,
        cost: 1_000 * i,
      });
      await seedLog(deps, { userId: b.user.id, createdAt: from + i, requestId: `req_b_${from}_${i}` });
    }
    await seedLog(deps, {
      userId: a.user.id,
      createdAt: from + 9,
      kind: 'topup',
      cost: -2_000,
      requestId: `req_a_${from}_t`,
    });
    await deps.db.db
      .insertInto('settings')
      .values([
        { key: 'quota_per_unit', value: '1000', updatedAt: Date.now() },
        { key: 'display_currency', value: '"CNY"', updatedAt: Date.now() },
      ])
      .execute();
    try {
      const res = await exportLogsResponse(
        deps,
        request(`/x?from=${new Date(from).toISOString()}&to=${to}&user=${b.user.id}&channelId=1`, a.token),
        'mine',
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toContain('tollgate-usage-');
      const body = await res.text();
      const [header] = parseCsv(body);
      expect(header).not.toEqual(expect.arrayContaining(['channel_cost']));
      for (const col of ['channel', 'channel_id', 'channel_cost', 'upstream_model', 'user_email', 'user_id'])
        expect(header).not.toContain(col);
      const records = csvRecords(body);
      expect(records.map((r) => r.request_id)).toEqual([
        ...[0, 1, 2, 3, 4].map((i) => `req_a_${from}_${i}`),
        `req_a_${from}_t`,
      ]);
      expect(records[2]).toMatchObject({ cost: '2000', cost_display: '2.000000', currency: 'CNY' });
      expect(records[5]).toMatchObject({ kind: 'topup', cost: '-2000', cost_display: '-2.000000' });
    } finally {
      await deps.db.db
        .deleteFrom('settings')
        .where('key', 'in', ['quota_per_unit', 'display_currency'])
        .execute();
    }
  });

  it('reads the database one batch per pull, so a slow reader holds one batch at a time', async () => {
    const { from, to } = window();
    const u = await createUserWithSession(deps, 'user');
    await seedLogs(
      deps,
      Array.from({ length: 10 }, (_, i) => ({
        userId: u.user.id,
        createdAt: from + (i >> 1),
        requestId: `req_s_${rid(4)}_${i}`,
      })),
    );
    const stream = logsCsvStream(deps, 'mine', { userId: u.user.id, from, to }, { batchSize: 3 });
    const reader = stream.getReader();
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(decoder.decode(value));
    }
    // header, then batches of 3, 3, 3, 1
    expect(chunks.map((c) => parseCsv(c).length)).toEqual([1, 3, 3, 3, 1]);
    expect(csvRecords(chunks.join(''))).toHaveLength(10);
    expect(await text(logsCsvStream(deps, 'mine', { userId: u.user.id, from: to, to: to + 1 }))).toMatch(
      /^time,/,
    );
  });
});
