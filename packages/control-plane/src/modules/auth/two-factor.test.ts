import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anonCaller,
  contextFor,
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  TEST_PASSWORD,
  type TestDeps,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { createCaller } from '../../trpc/app-router.ts';
import { SESSION_COOKIE } from './sessions.ts';
import { matchTotp, totpBox, totpCode, totpStep } from './totp.ts';
import { beginTotpSetup, checkSignInCode, enableTotp } from './two-factor.service.ts';

describe('totp', () => {
  // RFC 6238 Appendix B, SHA-1: secret "12345678901234567890" (ASCII), 8-digit codes; ours are the last 6
  const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  it.each([
    [59_000, '287082'],
    [1_111_111_109_000, '081804'],
    [1_234_567_890_000, '005924'],
    [2_000_000_000_000, '279037'],
    [20_000_000_000_000, '353130'],
  ])('matches the RFC 6238 test vector at %i ms', (t, code) => {
    expect(totpCode(rfcSecret, t)).toBe(code);
    expect(matchTotp(rfcSecret, code, t)).toBe(totpStep(t));
  });

  it('accepts one step either side, not two; refuses malformed codes', () => {
    const t = 1_700_000_000_000;
    expect(matchTotp(rfcSecret, totpCode(rfcSecret, t - 30_000), t)).toBe(totpStep(t) - 1);
    expect(matchTotp(rfcSecret, totpCode(rfcSecret, t + 30_000), t)).toBe(totpStep(t) + 1);
    expect(matchTotp(rfcSecret, totpCode(rfcSecret, t - 60_000), t)).toBeNull();
    expect(matchTotp(rfcSecret, totpCode(rfcSecret, t + 60_000), t)).toBeNull();
    expect(matchTotp(rfcSecret, '12345', t)).toBeNull();
    expect(matchTotp(rfcSecret, 'abcdef', t)).toBeNull();
  });
});

describe.each(DB_KINDS)('two-factor sign-in on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);
  afterAll(() => deps?.cleanup());

  const anonAt = async (ip: string) => {
    const ctx = { ...(await contextFor(deps, undefined)), ip };
    return { ctx, caller: createCaller(ctx) };
  };
  const stored = (id: number) =>
    deps.db.db
      .selectFrom('users')
      .select(['totpSecret', 'totpPending', 'totpEnabledAt', 'totpLastStep'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  /** A user with two-factor on; returns the secret. */
  async function enrolled() {
    const u = await createUserWithSession(deps, 'admin');
    const { secret } = await u.caller.auth.totpSetup();
    await u.caller.auth.totpEnable({ code: totpCode(secret) });
    return { u, secret };
  }

  it('setup returns an otpauth URI and the base32 secret, stored sealed and pending; status never shows it', async () => {
    const u = await createUserWithSession(deps, 'user');
    expect(await u.caller.auth.totpStatus()).toEqual({ enabled: false, enabledAt: null, pending: false });
    const setup = await u.caller.auth.totpSetup();
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(setup.uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toContain(u.user.email);
    expect(uri.searchParams.get('secret')).toBe(setup.secret);
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
    const row = await stored(u.user.id);
    expect(row.totpSecret).toBeNull();
    expect(row.totpPending).not.toContain(setup.secret);
    expect(totpBox(deps.cfg).decrypt(row.totpPending!)).toBe(setup.secret);
    const status = await u.caller.auth.totpStatus();
    expect(status).toEqual({ enabled: false, enabledAt: null, pending: true });
    expect(JSON.stringify(status)).not.toContain(setup.secret);
    // not on yet: signing in needs no code
    const { caller } = await anonAt('10.20.0.1');
    expect(await caller.auth.login({ email: u.user.email, password: TEST_PASSWORD })).toEqual({
      userId: u.user.id,
      role: 'user',
    });
  });

  it('enable: a wrong code is BAD_REQUEST and changes nothing; the right one turns it on', async () => {
    const u = await createUserWithSession(deps, 'user');
    expect((await outcomeOf(() => u.caller.auth.totpEnable({ code: '123456' }))).outcome).toBe('BAD_REQUEST');
    const { secret } = await u.caller.auth.totpSetup();
    const wrong = String((Number(totpCode(secret)) + 1) % 1_000_000).padStart(6, '0');
    const r = await outcomeOf(() => u.caller.auth.totpEnable({ code: wrong }));
    expect(r.outcome).toBe('BAD_REQUEST');
    expect((r.error as Error).message).toMatch(/not right/);
    expect((await stored(u.user.id)).totpEnabledAt).toBeNull();
    const code = totpCode(secret);
    const status = await u.caller.auth.totpEnable({ code: `${code.slice(0, 3)} ${code.slice(3)}` });
    expect(status).toMatchObject({ enabled: true, pending: false });
    const row = await stored(u.user.id);
    expect(totpBox(deps.cfg).decrypt(row.totpSecret!)).toBe(secret);
    expect(row.totpPending).toBeNull();
  });

  it('login: no code → { totpRequired: true } and no session; right code → session; reused → UNAUTHORIZED', async () => {
    const { u, secret } = await enrolled();
    const first = await anonAt('10.20.0.2');
    expect(await first.caller.auth.login({ email: u.user.email, password: TEST_PASSWORD })).toEqual({
      totpRequired: true,
    });
    expect(first.ctx.resHeaders.get('set-cookie')).toBeNull();
    // the wrong password still reads as wrong credentials (no hint that 2FA is on)
    const bad = await outcomeOf(() =>
      first.caller.auth.login({ email: u.user.email, password: 'nope-nope' }),
    );
    expect(bad.outcome).toBe('UNAUTHORIZED');
    expect((bad.error as Error).message).toBe('wrong e-mail or password');

    // the code the enable step used cannot sign in (same step, already claimed): wait for a fresh one
    const step = (await stored(u.user.id)).totpLastStep!;
    const t = (step + 1) * 30_000;
    const at = { ...deps, now: () => t };
    const code = totpCode(secret, t);
    const ctx = { ...(await contextFor(at, undefined)), ip: '10.20.0.3' };
    const res = await createCaller(ctx).auth.login({
      email: u.user.email,
      password: TEST_PASSWORD,
      totp: code,
    });
    expect(res).toEqual({ userId: u.user.id, role: 'admin' });
    expect(ctx.resHeaders.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=`));

    const replay = await outcomeOf(async () =>
      createCaller({ ...(await contextFor(at, undefined)), ip: '10.20.0.4' }).auth.login({
        email: u.user.email,
        password: TEST_PASSWORD,
        totp: code,
      }),
    );
    expect(replay.outcome).toBe('UNAUTHORIZED');
    expect((replay.error as Error).message).toMatch(/two-factor code/);
  });

  it('login: a wrong code is UNAUTHORIZED and counts against the IP', async () => {
    const limited = await createTestDeps({ kind, config: { auth_login_failures_per_10min: 2 } });
    try {
      const u = await createUserWithSession(limited, 'user');
      const { secret } = await u.caller.auth.totpSetup();
      await u.caller.auth.totpEnable({ code: totpCode(secret) });
      const anon = anonCaller(limited);
      const wrong = String((Number(totpCode(secret)) + 500_000) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 2; i++)
        expect(
          (
            await outcomeOf(() =>
              anon.auth.login({ email: u.user.email, password: TEST_PASSWORD, totp: wrong }),
            )
          ).outcome,
        ).toBe('UNAUTHORIZED');
      expect(
        (await outcomeOf(() => anon.auth.login({ email: u.user.email, password: TEST_PASSWORD }))).outcome,
      ).toBe('TOO_MANY_REQUESTS');
    } finally {
      await limited.cleanup();
    }
  });

  it('the ±1 step window: the previous step is accepted, two steps back is not, and older than the last used is not', async () => {
    const u = await createUserWithSession(deps, 'user');
    const t0 = 1_800_000_000_000;
    const at = (t: number) => ({ ...deps, now: () => t });
    const { secret } = await beginTotpSetup(at(t0), u.user.id);
    await enableTotp(at(t0), u.user.id, { code: totpCode(secret, t0) });
    const t = t0 + 10 * 30_000;
    const check = (codeAt: number) =>
      outcomeOf(() => checkSignInCode(at(t), u.user.id, totpCode(secret, codeAt)));
    expect((await check(t - 60_000)).outcome).toBe('thrown:ServiceError');
    expect((await check(t - 30_000)).value).toBe('ok');
    expect((await check(t - 30_000)).outcome).toBe('thrown:ServiceError');
    expect((await check(t)).value).toBe('ok');
    expect((await check(t - 30_000)).outcome).toBe('thrown:ServiceError');
    expect((await check(t + 30_000)).value).toBe('ok');
    expect((await check(t)).outcome).toBe('thrown:ServiceError');
  });

  it('two requests with the same code at once: exactly one signs in', async () => {
    const { u, secret } = await enrolled();
    const step = (await stored(u.user.id)).totpLastStep!;
    const t = (step + 1) * 30_000 + 5_000;
    const at = { ...deps, now: () => t };
    const code = totpCode(secret, t);
    const outcomes = await Promise.all(
      [1, 2, 3].map(async (i) =>
        outcomeOf(async () =>
          createCaller({ ...(await contextFor(at, undefined)), ip: `10.30.0.${i}` }).auth.login({
            email: u.user.email,
            password: TEST_PASSWORD,
            totp: code,
          }),
        ),
      ),
    );
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'ok']);
  });

  it('replacing the authenticator needs a code from the current one', async () => {
    const { u, secret } = await enrolled();
    const step = (await stored(u.user.id)).totpLastStep!;
    const t = (step + 1) * 30_000;
    const at = { ...deps, now: () => t };
    const next = await beginTotpSetup(at, u.user.id);
    const caller = createCaller({ ...(await contextFor(at, u.token)) });
    expect(await caller.auth.totpStatus()).toMatchObject({ enabled: true, pending: true });
    const missing = await outcomeOf(() => caller.auth.totpEnable({ code: totpCode(next.secret, t) }));
    expect(missing.outcome).toBe('BAD_REQUEST');
    expect((missing.error as Error).message).toMatch(/current code/);
    await caller.auth.totpEnable({ code: totpCode(next.secret, t), currentCode: totpCode(secret, t) });
    expect(totpBox(deps.cfg).decrypt((await stored(u.user.id)).totpSecret!)).toBe(next.secret);
  });

  it('disable needs a current, unused code; afterwards sign-in needs none', async () => {
    const { u, secret } = await enrolled();
    const step = (await stored(u.user.id)).totpLastStep!;
    const t = (step + 1) * 30_000;
    const at = { ...deps, now: () => t };
    const caller = createCaller(await contextFor(at, u.token));
    const wrong = String((Number(totpCode(secret, t)) + 1) % 1_000_000).padStart(6, '0');
    expect((await outcomeOf(() => caller.auth.totpDisable({ code: wrong }))).outcome).toBe('BAD_REQUEST');
    // the code of the step enable claimed is spent
    expect(
      (await outcomeOf(() => caller.auth.totpDisable({ code: totpCode(secret, step * 30_000) }))).outcome,
    ).toBe('BAD_REQUEST');
    expect((await stored(u.user.id)).totpEnabledAt).not.toBeNull();
    expect(await caller.auth.totpDisable({ code: totpCode(secret, t) })).toEqual({
      enabled: false,
      enabledAt: null,
      pending: false,
    });
    expect(await stored(u.user.id)).toEqual({
      totpSecret: null,
      totpPending: null,
      totpEnabledAt: null,
      totpLastStep: null,
    });
    expect((await outcomeOf(() => caller.auth.totpDisable({ code: totpCode(secret, t) }))).outcome).toBe(
      'BAD_REQUEST',
    );
    const { caller: anon } = await anonAt('10.20.0.9');
    expect(await anon.auth.login({ email: u.user.email, password: TEST_PASSWORD })).toEqual({
      userId: u.user.id,
      role: 'admin',
    });
  });

  it('a malformed code is refused by the schema; no session is UNAUTHORIZED', async () => {
    const u = await createUserWithSession(deps, 'user');
    expect((await outcomeOf(() => u.caller.auth.totpEnable({ code: '12ab56' }))).outcome).toBe('BAD_REQUEST');
    const anon = anonCaller(deps);
    for (const call of [
      () => anon.auth.totpStatus(),
      () => anon.auth.totpSetup(),
      () => anon.auth.totpEnable({ code: '123456' }),
      () => anon.auth.totpDisable({ code: '123456' }),
    ])
      expect((await outcomeOf(call)).outcome).toBe('UNAUTHORIZED');
  });
});
