import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../../errors.ts';
import {
  anonCaller,
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  randomEmail,
  type TestDeps,
  trackConfig,
  trackFailedConfig,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { register } from '../auth/auth.service.ts';
import { createUser } from '../users/users.service.ts';
import { settingDefaults, settingsPatchSchema } from './settings.schemas.ts';
import { getSettings, setSetting, setSettings } from './settings.service.ts';

function serviceCode(err: unknown): string {
  if (err instanceof ServiceError) return err.code;
  throw err;
}

describe('settings schemas', () => {
  it.each([
    [{ quota_per_unit: 0 }, false],
    [{ quota_per_unit: 1.5 }, false],
    [{ quota_per_unit: 1 }, true],
    [{ display_currency: 'EUR' }, false],
    [{ site_name: '  ' }, false],
    [{ site_name: 'My gateway' }, true],
    [{ default_group: 'not valid' }, false],
    [{ user_selectable_groups: ['ok', 'bad name'] }, false],
    [{ registration_open: 'no' }, false],
    [{ new_user_quota: -1 }, false],
    [{ unknown_key: true }, false],
    [{}, false],
  ])('%j valid: %s', (patch, ok) => {
    expect(settingsPatchSchema.safeParse(patch).success).toBe(ok);
  });
});

describe.each(DB_KINDS)('settings service on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  it('reads defaults on an empty database', async () => {
    expect(await getSettings(deps)).toEqual(settingDefaults);
    expect(settingDefaults).toMatchObject({
      site_name: 'Tollgate',
      registration_open: true,
      default_group: 'default',
      default_key_unlimited: true,
    });
  });

  it('writes several settings in one version, one change per key', async () => {
    const run = await trackConfig(deps, () =>
      setSettings(deps, { site_name: ' Acme AI ', new_user_quota: 250_000, display_currency: 'CNY' }),
    );
    expect(run.bumps).toBe(1);
    expect(run.changes[0]?.changes.map((c) => `${c.entity}:${c.id}`).sort()).toEqual([
      'setting:display_currency',
      'setting:new_user_quota',
      'setting:site_name',
    ]);
    expect(run.result).toMatchObject({
      site_name: 'Acme AI',
      new_user_quota: 250_000,
      display_currency: 'CNY',
    });
    expect(await getSettings(deps)).toMatchObject({ site_name: 'Acme AI', display_currency: 'CNY' });
    await setSettings(deps, { display_currency: 'USD', new_user_quota: 0 });
  });

  it('refuses a bad value or an unknown key and writes nothing', async () => {
    const before = await getSettings(deps);
    for (const patch of [{ quota_per_unit: 0 }, { site_name: 'ok', nope: 1 }, { default_group: '' }]) {
      const failed = await trackFailedConfig(deps, () => setSettings(deps, patch as never));
      expect(serviceCode(failed.error)).toBe('BAD_REQUEST');
      expect(failed.bumps).toBe(0);
    }
    expect(serviceCode(await setSetting(deps, 'nope', 1).catch((e: unknown) => e))).toBe('BAD_REQUEST');
    expect(await getSettings(deps)).toEqual(before);
  });

  it('a stored value its schema refuses reads as the default', async () => {
    await deps.db.db
      .insertInto('settings')
      .values({ key: 'default_key_unlimited', value: '"yes"', updatedAt: Date.now() })
      .execute();
    expect((await getSettings(deps)).default_key_unlimited).toBe(true);
    expect(await setSetting(deps, 'default_key_unlimited', false)).toEqual({
      key: 'default_key_unlimited',
      value: false,
    });
    expect((await getSettings(deps)).default_key_unlimited).toBe(false);
  });

  it('registration closed: register is FORBIDDEN (service and procedure) and creates no user; admins still create users', async () => {
    await setSettings(deps, { registration_open: false });
    try {
      const email = randomEmail('closed');
      const err = await register(deps, { email, password: 'closed-pass-1' }, {}).catch((e: unknown) => e);
      expect(serviceCode(err)).toBe('FORBIDDEN');
      const viaRouter = await outcomeOf(() =>
        anonCaller(deps).auth.register({ email, password: 'closed-pass-1' }),
      );
      expect(viaRouter.outcome).toBe('FORBIDDEN');
      expect((viaRouter.error as Error).message).toBe('registration is closed on this site');
      const row = await deps.db.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .executeTakeFirst();
      expect(row).toBeUndefined();
      const admin = await createUserWithSession(deps, 'admin');
      expect((await admin.caller.users.create({ email, password: 'created-pass-1' })).email).toBe(email);
    } finally {
      await setSettings(deps, { registration_open: true });
    }
    const open = await register(deps, { email: randomEmail('open'), password: 'open-pass-1' }, {});
    expect(open.role).toBe('user');
  });

  it('new accounts join the default_group setting unless a group is given', async () => {
    await setSettings(deps, { default_group: 'starter' });
    try {
      const reg = await register(deps, { email: randomEmail('dg'), password: 'group-pass-1' }, {});
      const row = await deps.db.db
        .selectFrom('users')
        .select('groupName')
        .where('id', '=', reg.userId)
        .executeTakeFirstOrThrow();
      expect(row.groupName).toBe('starter');
      const explicit = await createUser(deps, {
        email: randomEmail('g'),
        password: 'group-pass-1',
        group: 'vip',
      });
      expect(explicit.groupName).toBe('vip');
    } finally {
      await setSettings(deps, { default_group: 'default' });
    }
  });

  it('through the router: admins get and set; bad input is BAD_REQUEST; users are FORBIDDEN', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    expect((await admin.caller.settings.get()).quota_per_unit).toBe(500_000);
    const set = await admin.caller.settings.set({ allow_free_models: true, user_selectable_groups: ['vip'] });
    expect(set).toMatchObject({ allow_free_models: true, user_selectable_groups: ['vip'] });
    expect((await outcomeOf(() => admin.caller.settings.set({ quota_per_unit: -5 }))).outcome).toBe(
      'BAD_REQUEST',
    );
    expect((await outcomeOf(() => admin.caller.settings.set({ bogus: 1 } as never))).outcome).toBe(
      'BAD_REQUEST',
    );
    const user = await createUserWithSession(deps, 'user');
    expect((await outcomeOf(() => user.caller.settings.get())).outcome).toBe('FORBIDDEN');
    await admin.caller.settings.set({ allow_free_models: false, user_selectable_groups: [] });
  });
});
