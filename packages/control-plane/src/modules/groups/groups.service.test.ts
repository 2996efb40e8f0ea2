import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../../errors.ts';
import {
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  rid,
  seedUser,
  type TestDeps,
  trackConfig,
  trackFailedConfig,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { getSettings, setSettings } from '../settings/settings.service.ts';
import { createToken } from '../tokens/tokens.service.ts';
import { createGroupSchema } from './groups.schemas.ts';
import { createGroup, deleteGroup, listGroups, updateGroup } from './groups.service.ts';

function serviceCode(err: unknown): string {
  if (err instanceof ServiceError) return err.code;
  throw err;
}

describe('group schemas', () => {
  it.each([
    ['1', true],
    ['1.25', true],
    ['0.000001', true],
    ['0', true],
    ['100', true],
    ['100.000001', false],
    ['1.2345678', false],
    ['-1', false],
    ['1,5', false],
    ['', false],
  ])('multiplier %j valid: %s', (multiplier, ok) => {
    expect(createGroupSchema.safeParse({ name: 'g', multiplier }).success).toBe(ok);
  });

  it('refuses bad names and limits', () => {
    expect(createGroupSchema.safeParse({ name: 'has space' }).success).toBe(false);
    expect(createGroupSchema.safeParse({ name: 'g', rpmLimit: 0 }).success).toBe(false);
    expect(createGroupSchema.safeParse({ name: 'g', tpmLimit: 1.5 }).success).toBe(false);
  });
});

describe.each(DB_KINDS)('groups service on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  async function stored(name: string) {
    return deps.db.db
      .selectFrom('groups')
      .select(['name', 'description', 'multiplierPpm', 'rpmLimit', 'tpmLimit'])
      .where('name', '=', name)
      .executeTakeFirst();
  }

  it('create stores the multiplier exactly in ppm and bumps the version once, naming the group', async () => {
    const name = `vip-${rid(3)}`;
    const run = await trackConfig(deps, () =>
      createGroup(deps, { name, description: 'paying customers', multiplier: '1.2', rpmLimit: 60 }),
    );
    expect(run.bumps).toBe(1);
    expect(run.changes[0]?.changes).toEqual([{ entity: 'group', id: name, op: 'upsert' }]);
    expect(run.result).toMatchObject({
      name,
      defined: true,
      multiplier: '1.2',
      multiplierPpm: 1_200_000,
      rpmLimit: 60,
      tpmLimit: null,
      users: 0,
      keys: 0,
    });
    expect(await stored(name)).toEqual({
      name,
      description: 'paying customers',
      multiplierPpm: 1_200_000,
      rpmLimit: 60,
      tpmLimit: null,
    });
    const dup = await trackFailedConfig(deps, () => createGroup(deps, { name }));
    expect(serviceCode(dup.error)).toBe('CONFLICT');
    expect(dup.bumps).toBe(0);
  });

  it('update changes only the given fields; an unknown group is NOT_FOUND', async () => {
    const name = `up-${rid(3)}`;
    await createGroup(deps, { name, description: 'd', multiplier: '2', tpmLimit: 1000 });
    const run = await trackConfig(deps, () =>
      updateGroup(deps, { name, multiplier: '0.85', rpmLimit: null }),
    );
    expect(run.bumps).toBe(1);
    expect(run.changes[0]?.changes).toEqual([{ entity: 'group', id: name, op: 'upsert' }]);
    expect(await stored(name)).toEqual({
      name,
      description: 'd',
      multiplierPpm: 850_000,
      rpmLimit: null,
      tpmLimit: 1000,
    });
    const missing = await trackFailedConfig(deps, () => updateGroup(deps, { name: `nope-${rid(3)}` }));
    expect(serviceCode(missing.error)).toBe('NOT_FOUND');
    expect(missing.bumps).toBe(0);
  });

  it('delete is refused while a user or a key uses the group, then works and leaves the selectable list', async () => {
    const name = `busy-${rid(3)}`;
    await createGroup(deps, { name });
    const user = await seedUser(deps, 'user', { group: name });
    const refusedUser = await trackFailedConfig(deps, () => deleteGroup(deps, name));
    expect(serviceCode(refusedUser.error)).toBe('CONFLICT');
    expect((refusedUser.error as Error).message).toMatch(/1 user/);
    expect(refusedUser.bumps).toBe(0);

    // the user moves away, but one of their keys still names the group (allowed: it is selectable)
    await setSettings(deps, { user_selectable_groups: [name] });
    const { token } = await createToken(deps, user.id, { name: 'k', group: name });
    await deps.db.db.updateTable('users').set({ groupName: 'default' }).where('id', '=', user.id).execute();
    const refusedKey = await trackFailedConfig(deps, () => deleteGroup(deps, name));
    expect(serviceCode(refusedKey.error)).toBe('CONFLICT');
    expect((refusedKey.error as Error).message).toMatch(/1 key/);
    expect(await stored(name)).toBeDefined();

    await deps.db.db.deleteFrom('tokens').where('id', '=', token.id).execute();
    const run = await trackConfig(deps, () => deleteGroup(deps, name));
    expect(run.bumps).toBe(1);
    expect(run.changes[0]?.changes).toEqual([
      { entity: 'group', id: name, op: 'delete' },
      { entity: 'setting', id: 'user_selectable_groups', op: 'upsert' },
    ]);
    expect(await stored(name)).toBeUndefined();
    expect((await getSettings(deps)).user_selectable_groups).not.toContain(name);
    expect(serviceCode((await trackFailedConfig(deps, () => deleteGroup(deps, name))).error)).toBe(
      'NOT_FOUND',
    );
  });

  it('the default group of new accounts cannot be deleted', async () => {
    const name = `dflt-${rid(3)}`;
    await createGroup(deps, { name });
    await setSettings(deps, { default_group: name });
    try {
      const refused = await trackFailedConfig(deps, () => deleteGroup(deps, name));
      expect(serviceCode(refused.error)).toBe('CONFLICT');
      expect((refused.error as Error).message).toMatch(/default group/);
    } finally {
      await setSettings(deps, { default_group: 'default' });
    }
    await deleteGroup(deps, name);
  });

  it('list shows usage counts, flags, and groups in use that have no row', async () => {
    const name = `listed-${rid(3)}`;
    const orphan = `orphan-${rid(3)}`;
    await createGroup(deps, { name, multiplier: '1.5' });
    await seedUser(deps, 'user', { group: name });
    await seedUser(deps, 'user', { group: name });
    await seedUser(deps, 'user', { group: orphan });
    await setSettings(deps, { user_selectable_groups: [name] });
    const groups = await listGroups(deps);
    expect(groups.find((g) => g.name === name)).toMatchObject({
      defined: true,
      multiplier: '1.5',
      users: 2,
      keys: 0,
      userSelectable: true,
      isDefault: false,
    });
    expect(groups.find((g) => g.name === orphan)).toMatchObject({
      defined: false,
      multiplier: '1',
      multiplierPpm: 1_000_000,
      users: 1,
    });
    expect(groups.find((g) => g.name === 'default')).toMatchObject({ isDefault: true });
    const names = groups.map((g) => g.name);
    expect(names).toEqual([...names].sort());
  });

  it('through the router: admins manage groups; bad input is BAD_REQUEST; users are FORBIDDEN', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const name = `r-${rid(3)}`;
    const created = await admin.caller.groups.create({ name, multiplier: '1.1', tpmLimit: 5000 });
    expect(created).toMatchObject({ name, multiplierPpm: 1_100_000, tpmLimit: 5000 });
    expect((await admin.caller.groups.update({ name, description: 'x' })).description).toBe('x');
    const bad = await outcomeOf(() =>
      admin.caller.groups.create({ name: `b-${rid(3)}`, multiplier: '1.0000001' }),
    );
    expect(bad.outcome).toBe('BAD_REQUEST');
    const user = await createUserWithSession(deps, 'user');
    expect((await outcomeOf(() => user.caller.groups.delete({ name }))).outcome).toBe('FORBIDDEN');
    expect(await admin.caller.groups.delete({ name })).toEqual({ name });
  });
});
