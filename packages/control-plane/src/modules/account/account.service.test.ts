import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anonCaller,
  contextFor,
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  type TestDeps,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { createCaller } from '../../trpc/app-router.ts';

describe.each(DB_KINDS)('account procedures on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  async function userRow(id: number) {
    return deps.db.db
      .selectFrom('users')
      .select(['displayName', 'locale', 'email', 'role', 'groupName'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  it('profile: the caller sees their own e-mail, name, group and language (none chosen yet)', async () => {
    const u = await createUserWithSession(deps, 'user');
    const p = await u.caller.account.profile();
    expect(p).toMatchObject({
      id: u.user.id,
      email: u.user.email,
      displayName: u.user.displayName,
      role: 'user',
      group: 'default',
      locale: null,
    });
    expect(p).not.toHaveProperty('passwordHash');
    expect(p).not.toHaveProperty('totpSecret');
  });

  it('updateProfile: changes the display name (trimmed), nothing else', async () => {
    const u = await createUserWithSession(deps, 'user');
    const before = await userRow(u.user.id);
    const p = await u.caller.account.updateProfile({ displayName: '  Ada Lovelace  ' });
    expect(p.displayName).toBe('Ada Lovelace');
    expect(await userRow(u.user.id)).toEqual({ ...before, displayName: 'Ada Lovelace' });
    // the next request's session carries the new name
    const next = createCaller(await contextFor(deps, u.token));
    expect((await next.auth.me())?.displayName).toBe('Ada Lovelace');
  });

  it('updateProfile: an empty, too long or control-character name is BAD_REQUEST and changes nothing', async () => {
    const u = await createUserWithSession(deps, 'user');
    const before = await userRow(u.user.id);
    for (const displayName of ['', '   ', 'x'.repeat(101), 'bad\u0007name']) {
      const r = await outcomeOf(() => u.caller.account.updateProfile({ displayName }));
      expect([displayName, r.outcome]).toEqual([displayName, 'BAD_REQUEST']);
    }
    expect(await userRow(u.user.id)).toEqual(before);
  });

  it('updateProfile cannot change the e-mail, role or group, even when the input names them', async () => {
    const u = await createUserWithSession(deps, 'user');
    const input = { displayName: 'Sneaky', email: 'x@example.test', role: 'admin', group: 'vip' } as {
      displayName: string;
    };
    await u.caller.account.updateProfile(input);
    expect(await userRow(u.user.id)).toMatchObject({
      displayName: 'Sneaky',
      email: u.user.email,
      role: 'user',
      groupName: 'default',
    });
  });

  it('setLocale: stores en or zh-CN; anything else is BAD_REQUEST', async () => {
    const u = await createUserWithSession(deps, 'user');
    expect((await u.caller.account.setLocale({ locale: 'zh-CN' })).locale).toBe('zh-CN');
    expect((await userRow(u.user.id)).locale).toBe('zh-CN');
    expect((await u.caller.account.profile()).locale).toBe('zh-CN');
    expect((await u.caller.account.setLocale({ locale: 'en' })).locale).toBe('en');
    for (const locale of ['fr', 'zh', 'en-US', '']) {
      const r = await outcomeOf(() => u.caller.account.setLocale({ locale } as { locale: 'en' }));
      expect([locale, r.outcome]).toEqual([locale, 'BAD_REQUEST']);
    }
    expect((await userRow(u.user.id)).locale).toBe('en');
  });

  it("acts on the caller only: another user's profile is untouched", async () => {
    const a = await createUserWithSession(deps, 'user');
    const b = await createUserWithSession(deps, 'user');
    const bBefore = await userRow(b.user.id);
    await a.caller.account.updateProfile({ displayName: 'Only A' });
    await a.caller.account.setLocale({ locale: 'zh-CN' });
    expect(await userRow(b.user.id)).toEqual(bBefore);
    expect((await b.caller.account.profile()).email).toBe(b.user.email);
  });

  it('every account procedure needs a session', async () => {
    const anon = anonCaller(deps);
    expect((await outcomeOf(() => anon.account.profile())).outcome).toBe('UNAUTHORIZED');
    expect((await outcomeOf(() => anon.account.updateProfile({ displayName: 'x' }))).outcome).toBe(
      'UNAUTHORIZED',
    );
    expect((await outcomeOf(() => anon.account.setLocale({ locale: 'en' }))).outcome).toBe('UNAUTHORIZED');
  });
});
