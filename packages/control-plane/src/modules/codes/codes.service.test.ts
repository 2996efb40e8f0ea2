import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeps, createUserWithSession, DB_KINDS, type TestDeps } from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { codesCsvResponse } from '../payments/payments.http.ts';
import {
  generateCode,
  MAX_REDEEM_FAILURES,
  MAX_REDEEM_FAILURES_PER_IP,
  normalizeCode,
  redeemCode,
} from './codes.service.ts';

describe('code format', () => {
  it('is TG- + 16 unambiguous characters; typing variants normalise to the same code', () => {
    const code = generateCode();
    expect(code).toMatch(/^TG-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    const body = code.slice(3).replaceAll('-', '');
    expect(normalizeCode(code)).toBe(body);
    expect(normalizeCode(` ${code.toLowerCase()} `)).toBe(body);
    expect(normalizeCode(body)).toBe(body);
    expect(normalizeCode('TG-0O00-1IL1-0000-0000')).toBe('0000111100000000');
  });
});

describe.each(DB_KINDS)('redemption codes on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  async function balance(userId: number) {
    const r = await deps.db.db
      .selectFrom('users')
      .select('balance')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(r.balance);
  }

  it('admin generates N codes, lists the batch, exports the CSV; a user redeems one once', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const gen = await admin.caller.codes.generate({ count: 25, value: 7_000, batch: `promo-${kind}` });
    expect(gen.codes).toHaveLength(25);
    expect(new Set(gen.codes).size).toBe(25);
    const stored = JSON.stringify(
      await deps.db.db
        .selectFrom('redemptionCodes')
        .select(['codeHash', 'codeEncrypted', 'codeMask'])
        .execute(),
    );
    for (const c of gen.codes) expect(stored).not.toContain(c);
    const batches = await admin.caller.codes.batches();
    expect(batches.find((b) => b.batch === gen.batch)).toMatchObject({
      total: 25,
      active: 25,
      used: 0,
      value: 7_000,
    });

    const u = await createUserWithSession(deps, 'user');
    expect(await u.caller.codes.redeem({ code: gen.codes[0]!.toLowerCase() })).toEqual({
      credited: 7_000,
      balance: 7_000,
    });
    expect((await outcomeOf(() => u.caller.codes.redeem({ code: gen.codes[0]! }))).outcome).toBe(
      'BAD_REQUEST',
    );
    expect(await balance(u.user.id)).toBe(7_000);
    const ledger = await deps.db.db
      .selectFrom('ledger')
      .select(['kind', 'amount'])
      .where('userId', '=', u.user.id)
      .execute();
    expect(ledger).toEqual([{ kind: 'code', amount: 7_000 }]);

    const list = await admin.caller.codes.list({ batch: gen.batch, status: 'used' });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ usedBy: u.user.id, usedByEmail: u.user.email, status: 'used' });
    expect(JSON.stringify(await admin.caller.codes.list({ batch: gen.batch }))).not.toContain(gen.codes[1]!);

    const cookie = `tg_session=${admin.token}`;
    const res = await codesCsvResponse(
      deps,
      new Request(`http://x/api/export/codes.csv?batch=${gen.batch}`, { headers: { cookie } }),
    );
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('code,value,status,expires_at,used_by,used_at,created_at');
    expect(lines).toHaveLength(26);
    expect(
      lines
        .map((l) => l.split(',')[0])
        .slice(1)
        .sort(),
    ).toEqual([...gen.codes].sort());
    const userRes = await codesCsvResponse(
      deps,
      new Request(`http://x/?batch=${gen.batch}`, { headers: { cookie: `tg_session=${u.token}` } }),
    );
    expect(userRes.status).toBe(403);
    expect((await codesCsvResponse(deps, new Request(`http://x/?batch=${gen.batch}`))).status).toBe(401);
  });

  it('disabled and expired codes do not redeem', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const gen = await admin.caller.codes.generate({ count: 3, value: 100 });
    const expired = await admin.caller.codes.generate({ count: 1, value: 100, expiresAt: Date.now() - 1 });
    const ids = (await admin.caller.codes.list({ batch: gen.batch })).map((c) => c.id);
    expect(await admin.caller.codes.disable({ ids: [ids[0]!] })).toEqual({ disabled: 1 });
    expect(await admin.caller.codes.disable({ batch: gen.batch })).toEqual({ disabled: 2 });
    expect((await admin.caller.codes.list({ batch: expired.batch }))[0]!.status).toBe('expired');
    const u = await createUserWithSession(deps, 'user');
    for (const code of [...gen.codes, ...expired.codes])
      expect((await outcomeOf(() => u.caller.codes.redeem({ code }))).outcome).toBe('BAD_REQUEST');
    expect(await balance(u.user.id)).toBe(0);
  });

  it('users redeeming one code at the same moment: exactly one is credited', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    for (let round = 0; round < 5; round++) {
      const { codes } = await admin.caller.codes.generate({ count: 1, value: 5_000 });
      const users = await Promise.all([0, 1, 2, 3].map(() => createUserWithSession(deps, 'user')));
      const results = await Promise.all(
        users.map((u, i) => outcomeOf(() => redeemCode(deps, u.user.id, `10.0.${round}.${i}`, codes[0]!))),
      );
      expect(results.filter((r) => r.outcome === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r.outcome !== 'ok').map((r) => (r.error as Error).message)).toEqual(
        Array(3).fill('this code is invalid, already used or expired'),
      );
      const balances = await Promise.all(users.map((u) => balance(u.user.id)));
      expect(balances.reduce((a, b) => a + b, 0)).toBe(5_000);
    }
  });

  it('guessing is rate-limited per user and per IP', async () => {
    const u = await createUserWithSession(deps, 'user');
    const admin = await createUserWithSession(deps, 'admin');
    const { codes } = await admin.caller.codes.generate({ count: 1, value: 1 });
    const ip = '10.1.1.1';
    const tooMany = async (userId: number, from: string, code = generateCode()) =>
      (await outcomeOf(() => redeemCode(deps, userId, from, code))).error as Error & { code?: string };
    for (let i = 0; i < MAX_REDEEM_FAILURES; i++)
      expect((await tooMany(u.user.id, ip)).code).toBe('BAD_REQUEST');
    expect((await tooMany(u.user.id, ip)).code).toBe('TOO_MANY_REQUESTS');
    // blocked: a valid code is refused too, from any address
    expect((await tooMany(u.user.id, '10.2.2.2', codes[0]!)).code).toBe('TOO_MANY_REQUESTS');
    // the IP counter: many users guessing from one address
    const others = await Promise.all(Array.from({ length: 5 }, () => createUserWithSession(deps, 'user')));
    let failures = MAX_REDEEM_FAILURES;
    for (const o of others)
      for (let i = 0; i < MAX_REDEEM_FAILURES - 1 && failures < MAX_REDEEM_FAILURES_PER_IP; i++, failures++)
        expect((await tooMany(o.user.id, ip)).code).toBe('BAD_REQUEST');
    expect(failures).toBe(MAX_REDEEM_FAILURES_PER_IP);
    expect((await tooMany(others[0]!.user.id, ip, codes[0]!)).code).toBe('TOO_MANY_REQUESTS');
    expect(await redeemCode(deps, others[0]!.user.id, '10.3.3.3', codes[0]!)).toEqual({
      credited: 1,
      balance: 1,
    });
    // through the router the session's IP is used
    const r = await outcomeOf(() => u.caller.codes.redeem({ code: generateCode() }));
    expect(r.outcome).toBe('TOO_MANY_REQUESTS');
  });
});
