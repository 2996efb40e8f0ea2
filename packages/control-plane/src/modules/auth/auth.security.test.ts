import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anonCaller,
  contextFor,
  createTestDeps,
  createUserWithSession,
  randomEmail,
  seedUser,
  TEST_PASSWORD,
  type TestDeps,
} from '../../testing/harness.ts';
import { createCaller } from '../../trpc/app-router.ts';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'error',
  );

describe('site sign-in protection', () => {
  let deps: TestDeps;
  beforeAll(async () => {
    deps = await createTestDeps({
      kind: 'sqlite',
      config: { auth_login_failures_per_10min: 3, auth_registrations_per_hour: 2 },
    });
  });
  afterAll(() => deps.cleanup());

  it('refuses mutations without the CSRF header, queries still work', async () => {
    const u = await createUserWithSession(deps, 'user');
    const noHeader = createCaller({ ...u.ctx, csrfHeader: false });
    expect(await codeOf(noHeader.tokens.create({ name: 'x' }))).toBe('FORBIDDEN');
    expect(await codeOf(noHeader.auth.logout())).toBe('FORBIDDEN');
    expect(await codeOf(noHeader.tokens.list())).toBe('ok');
  });

  it('locks an IP out after repeated failed sign-ins, even for the right password', async () => {
    const target = await seedUser(deps, 'user');
    const anon = anonCaller(deps);
    for (let i = 0; i < 3; i++)
      expect(await codeOf(anon.auth.login({ email: target.email, password: 'wrong password' }))).toBe(
        'UNAUTHORIZED',
      );
    expect(await codeOf(anon.auth.login({ email: target.email, password: TEST_PASSWORD }))).toBe(
      'TOO_MANY_REQUESTS',
    );
    // another IP is not affected
    const ctx = { ...(await contextFor(deps, undefined)), ip: '10.9.8.7' };
    expect(await codeOf(createCaller(ctx).auth.login({ email: target.email, password: TEST_PASSWORD }))).toBe(
      'ok',
    );
  });

  it('limits registrations per IP per hour', async () => {
    const ctx = { ...(await contextFor(deps, undefined)), ip: '10.1.1.1' };
    const c = createCaller(ctx);
    expect(await codeOf(c.auth.register({ email: randomEmail('r'), password: 'register-pass-1' }))).toBe(
      'ok',
    );
    expect(await codeOf(c.auth.register({ email: randomEmail('r'), password: 'register-pass-1' }))).toBe(
      'ok',
    );
    expect(await codeOf(c.auth.register({ email: randomEmail('r'), password: 'register-pass-1' }))).toBe(
      'TOO_MANY_REQUESTS',
    );
  });

  it('lists sessions, revokes one, logs out everywhere; another user’s session is NOT_FOUND', async () => {
    const u = await createUserWithSession(deps, 'user');
    const second = await createUserWithSession(deps, 'user');
    const list = await u.caller.auth.sessions();
    expect(list).toHaveLength(1);
    expect(list[0]?.current).toBe(true);
    expect(JSON.stringify(list)).not.toContain(u.token);
    const theirs = (await second.caller.auth.sessions())[0]!.id;
    expect(await codeOf(u.caller.auth.revokeSession({ id: theirs }))).toBe('NOT_FOUND');
    expect(await codeOf(second.caller.auth.sessions())).toBe('ok');
    const res = await u.caller.auth.logoutEverywhere();
    expect(res.revoked).toBe(1);
    expect((await contextFor(deps, u.token)).user).toBeUndefined();
  });

  it('changes the password only with the current one and ends the other sessions', async () => {
    const u = await createUserWithSession(deps, 'user');
    const other = await contextFor(deps, undefined);
    const second = await createCaller({ ...other, ip: '10.2.2.2' }).auth.login({
      email: u.user.email,
      password: TEST_PASSWORD,
    });
    expect(second.userId).toBe(u.user.id);
    expect(await codeOf(u.caller.auth.changePassword({ current: 'not it', next: 'brand-new-pass' }))).toBe(
      'BAD_REQUEST',
    );
    const r = await u.caller.auth.changePassword({ current: TEST_PASSWORD, next: 'brand-new-pass' });
    expect(r.otherSessionsEnded).toBe(1);
    expect((await u.caller.auth.sessions()).length).toBe(1);
    const fresh = createCaller({ ...(await contextFor(deps, undefined)), ip: '10.3.3.3' });
    expect(await codeOf(fresh.auth.login({ email: u.user.email, password: TEST_PASSWORD }))).toBe(
      'UNAUTHORIZED',
    );
    expect(await codeOf(fresh.auth.login({ email: u.user.email, password: 'brand-new-pass' }))).toBe('ok');
  });
});
