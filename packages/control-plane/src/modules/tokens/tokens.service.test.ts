import { hashApiKey, maskApiKey, verifyApiKey } from '@tollgate/shared/api-key.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
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
import { ipOrCidrSchema } from './tokens.schemas.ts';
import {
  createToken,
  deleteToken,
  getToken,
  listTokens,
  resetToken,
  revealToken,
  setTokenStatus,
  updateToken,
} from './tokens.service.ts';

function serviceCode(err: unknown): string {
  if (err instanceof ServiceError) return err.code;
  throw err;
}

describe('ipOrCidrSchema', () => {
  it.each([
    '10.0.0.1',
    '10.0.0.0/8',
    '0.0.0.0/0',
    '192.168.1.0/24',
    '::1',
    '2001:db8::/32',
    '::/0',
    ' 10.1.2.3 ',
  ])('accepts %j', (v) => {
    expect(ipOrCidrSchema.safeParse(v).success).toBe(true);
  });

  it.each([
    '',
    'x',
    'localhost',
    '999.1.1.1',
    '10.0.0',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/8.5',
    '::1/129',
    '10.0.0.0/8/1',
    '/8',
    '10.0.0.0/abc',
  ])('rejects %j', (v) => {
    expect(ipOrCidrSchema.safeParse(v).success).toBe(false);
  });

  it.each(['10.0.0.0/', '10.0.0.0/ 8', '10.0.0.0/0x8', '10.0.0.0/1e1'])(
    'rejects a malformed prefix %j',
    (v) => {
      expect(ipOrCidrSchema.safeParse(v).success).toBe(false);
    },
  );
});

describe.each(DB_KINDS)('tokens service on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  async function dbRow(id: number) {
    return deps.db.db
      .selectFrom('tokens')
      .select([
        'userId',
        'name',
        'status',
        'keyHash',
        'keyEncrypted',
        'keyMask',
        'models',
        'allowedIps',
        'unlimitedQuota',
      ])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  describe('createToken', () => {
    it('issues a signed key, stores only its hash and sealed plaintext, and returns the key once', async () => {
      const u = await seedUser(deps);
      const { token, key } = await createToken(deps, u.id, { name: 'laptop' });
      expect(verifyApiKey(key, deps.cfg.user_token_secret)).toEqual({ ok: true });
      expect(token).toMatchObject({
        userId: u.id,
        name: 'laptop',
        keyMask: maskApiKey(key),
        status: 'enabled',
        groupName: null,
        expiresAt: null,
        remainQuota: 0,
        unlimitedQuota: true,
        usedQuota: 0,
        models: null,
        allowedIps: null,
        rpmLimit: null,
      });
      expect(token).not.toHaveProperty('keyHash');
      expect(token).not.toHaveProperty('keyEncrypted');
      const row = await dbRow(token.id);
      expect(row?.keyHash).toBe(hashApiKey(key));
      expect(row?.keyEncrypted).not.toContain(key);
      expect(deps.tokenBox.decrypt(row!.keyEncrypted)).toBe(key);
    });

    it('stores limits, model and IP lists; an empty list is stored as "no restriction" (null)', async () => {
      const u = await seedUser(deps, 'user', { group: 'vip' });
      const expiresAt = Date.now() + 86_400_000;
      const { token } = await createToken(deps, u.id, {
        name: 'ci',
        expiresAt,
        remainQuota: 500,
        unlimitedQuota: false,
        group: 'vip',
        models: ['gpt-4o', 'claude-*'],
        allowedIps: ['10.0.0.0/8', '2001:db8::1'],
        rpmLimit: 60,
      });
      expect(token).toMatchObject({
        expiresAt,
        remainQuota: 500,
        unlimitedQuota: false,
        groupName: 'vip',
        models: ['gpt-4o', 'claude-*'],
        allowedIps: ['10.0.0.0/8', '2001:db8::1'],
        rpmLimit: 60,
      });
      const row = await dbRow(token.id);
      expect(JSON.parse(row!.models!)).toEqual(['gpt-4o', 'claude-*']);
      expect(row?.unlimitedQuota).toBe(0);
      const empty = await createToken(deps, u.id, { name: 'open', models: [], allowedIps: [] });
      expect(empty.token.models).toBeNull();
      expect(empty.token.allowedIps).toBeNull();
    });

    it('allows only the owner’s group or one the operator made selectable', async () => {
      const u = await seedUser(deps);
      const refused = await createToken(deps, u.id, { name: 'g1', group: 'gold' }).catch((e: unknown) => e);
      expect((refused as { code?: string }).code).toBe('BAD_REQUEST');
      const ok = await createToken(deps, u.id, { name: 'g0', group: 'default' });
      const upd = await updateToken(deps, u.id, { id: ok.token.id, group: 'gold' }).catch((e: unknown) => e);
      expect((upd as { code?: string }).code).toBe('BAD_REQUEST');
      await deps.db.db
        .insertInto('settings')
        .values({ key: 'user_selectable_groups', value: JSON.stringify(['gold']), updatedAt: Date.now() })
        .execute();
      try {
        expect((await createToken(deps, u.id, { name: 'g2', group: 'gold' })).token.groupName).toBe('gold');
      } finally {
        await deps.db.db.deleteFrom('settings').where('key', '=', 'user_selectable_groups').execute();
      }
    });

    it('bumps config_version by exactly one and records the new token', async () => {
      const u = await seedUser(deps);
      const published = deps.published.length;
      const { result, bumps, changes } = await trackConfig(deps, () =>
        createToken(deps, u.id, { name: 'tracked' }),
      );
      expect(bumps).toBe(1);
      expect(changes).toHaveLength(1);
      expect(changes[0]!.changes).toEqual([{ entity: 'token', id: String(result.token.id), op: 'upsert' }]);
      expect(deps.published.slice(published)).toEqual([
        { version: changes[0]!.version, changes: changes[0]!.changes },
      ]);
    });

    it('rejects a second key with the same name for the same user (CONFLICT), without a version bump', async () => {
      const u = await seedUser(deps);
      await createToken(deps, u.id, { name: 'dup' });
      const { error, bumps } = await trackFailedConfig(deps, () => createToken(deps, u.id, { name: 'dup' }));
      expect(serviceCode(error)).toBe('CONFLICT');
      expect(bumps).toBe(0);
      expect((await listTokens(deps, u.id)).map((t) => t.name)).toEqual(['dup']);
    });

    it('allows the same name for two different users', async () => {
      const a = await seedUser(deps);
      const b = await seedUser(deps);
      const ta = await createToken(deps, a.id, { name: 'shared name' });
      const tb = await createToken(deps, b.id, { name: 'shared name' });
      expect(ta.token.id).not.toBe(tb.token.id);
      expect(ta.key).not.toBe(tb.key);
    });

    it('rejects invalid input: name charset, IPs and CIDRs, model patterns', async () => {
      const u = await seedUser(deps);
      for (const input of [
        { name: '' },
        { name: 'bad/name' },
        { name: 'x'.repeat(65) },
        { name: 'ok', allowedIps: ['not-an-ip'] },
        { name: 'ok', allowedIps: ['10.0.0.0/33'] },
        { name: 'ok', allowedIps: ['300.0.0.1'] },
        { name: 'ok', allowedIps: ['::1/129'] },
        { name: 'ok', models: ['gpt-*-mini'] },
        { name: 'ok', rpmLimit: 0 },
      ]) {
        await expect(createToken(deps, u.id, input)).rejects.toBeInstanceOf(ZodError);
      }
      expect(await listTokens(deps, u.id)).toEqual([]);
    });

    it('returns BAD_REQUEST through the router for an invalid IP on create and update', async () => {
      const u = await createUserWithSession(deps);
      expect(
        (await outcomeOf(() => u.caller.tokens.create({ name: 'k', allowedIps: ['1.2.3.4/40'] }))).outcome,
      ).toBe('BAD_REQUEST');
      const { token } = await u.caller.tokens.create({ name: 'k' });
      expect(
        (await outcomeOf(() => u.caller.tokens.update({ id: token.id, allowedIps: ['nope'] }))).outcome,
      ).toBe('BAD_REQUEST');
      expect((await u.caller.tokens.get({ id: token.id })).allowedIps).toBeNull();
    });
  });

  describe('reads', () => {
    it("lists only the owner's keys, newest first", async () => {
      const a = await seedUser(deps);
      const b = await seedUser(deps);
      const first = await createToken(deps, a.id, { name: 'one' });
      const second = await createToken(deps, a.id, { name: 'two' });
      await createToken(deps, b.id, { name: 'other' });
      expect((await listTokens(deps, a.id)).map((t) => t.id)).toEqual([second.token.id, first.token.id]);
    });

    it('getToken and revealToken are scoped to the owner', async () => {
      const a = await seedUser(deps);
      const b = await seedUser(deps);
      const { token, key } = await createToken(deps, a.id, { name: 'mine' });
      expect((await getToken(deps, a.id, token.id)).id).toBe(token.id);
      expect(await revealToken(deps, a.id, token.id)).toEqual({ key });
      await expect(getToken(deps, b.id, token.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(revealToken(deps, b.id, token.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(getToken(deps, a.id, 2_000_000_000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('updateToken', () => {
    it('changes only the given fields and clears with null', async () => {
      const u = await seedUser(deps, 'user', { group: 'vip' });
      const { token } = await createToken(deps, u.id, {
        name: 'edit me',
        models: ['gpt-4o'],
        rpmLimit: 10,
        group: 'vip',
      });
      const updated = await updateToken(deps, u.id, {
        id: token.id,
        name: 'edited',
        unlimitedQuota: false,
        remainQuota: 42,
      });
      expect(updated).toMatchObject({
        name: 'edited',
        unlimitedQuota: false,
        remainQuota: 42,
        models: ['gpt-4o'],
        rpmLimit: 10,
        groupName: 'vip',
      });
      const cleared = await updateToken(deps, u.id, {
        id: token.id,
        models: null,
        rpmLimit: null,
        group: null,
        allowedIps: ['127.0.0.1'],
      });
      expect(cleared).toMatchObject({
        name: 'edited',
        models: null,
        rpmLimit: null,
        groupName: null,
        allowedIps: ['127.0.0.1'],
      });
    });

    it('bumps the version once per write and names the token', async () => {
      const u = await seedUser(deps);
      const { token } = await createToken(deps, u.id, { name: 'v' });
      const { bumps, changes } = await trackConfig(deps, () =>
        updateToken(deps, u.id, { id: token.id, remainQuota: 1 }),
      );
      expect(bumps).toBe(1);
      expect(changes.map((c) => c.changes)).toEqual([
        [{ entity: 'token', id: String(token.id), op: 'upsert' }],
      ]);
    });

    it('renaming onto another key of the same user is a CONFLICT and changes nothing', async () => {
      const u = await seedUser(deps);
      await createToken(deps, u.id, { name: 'taken' });
      const { token } = await createToken(deps, u.id, { name: 'free' });
      const { error, bumps } = await trackFailedConfig(deps, () =>
        updateToken(deps, u.id, { id: token.id, name: 'taken' }),
      );
      expect(serviceCode(error)).toBe('CONFLICT');
      expect(bumps).toBe(0);
      expect((await getToken(deps, u.id, token.id)).name).toBe('free');
    });

    it("another user's key is NOT_FOUND and unchanged, without a version bump", async () => {
      const owner = await seedUser(deps);
      const intruder = await seedUser(deps);
      const { token } = await createToken(deps, owner.id, { name: 'owned' });
      const before = await dbRow(token.id);
      const { error, bumps } = await trackFailedConfig(deps, () =>
        updateToken(deps, intruder.id, { id: token.id, name: 'mine now' }),
      );
      expect(serviceCode(error)).toBe('NOT_FOUND');
      expect(bumps).toBe(0);
      expect(await dbRow(token.id)).toEqual(before);
    });
  });

  describe('setTokenStatus', () => {
    it('disables and re-enables, one version bump each', async () => {
      const u = await seedUser(deps);
      const { token } = await createToken(deps, u.id, { name: 's' });
      const off = await trackConfig(deps, () => setTokenStatus(deps, u.id, token.id, 'disabled'));
      expect(off.result.status).toBe('disabled');
      expect(off.bumps).toBe(1);
      expect(off.changes[0]!.changes).toEqual([{ entity: 'token', id: String(token.id), op: 'upsert' }]);
      const on = await trackConfig(deps, () => setTokenStatus(deps, u.id, token.id, 'enabled'));
      expect(on.result.status).toBe('enabled');
      expect(on.bumps).toBe(1);
      // setting the status it already has is still a successful write (not NOT_FOUND on MySQL)
      expect((await setTokenStatus(deps, u.id, token.id, 'enabled')).status).toBe('enabled');
    });

    it('is NOT_FOUND for a key of another user', async () => {
      const owner = await seedUser(deps);
      const intruder = await seedUser(deps);
      const { token } = await createToken(deps, owner.id, { name: 'owned' });
      await expect(setTokenStatus(deps, intruder.id, token.id, 'disabled')).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect((await dbRow(token.id))?.status).toBe('enabled');
    });
  });

  describe('resetToken', () => {
    it('replaces the key, its hash, its sealed plaintext and its mask', async () => {
      const u = await seedUser(deps);
      const { token, key } = await createToken(deps, u.id, { name: 'rotate' });
      const before = await dbRow(token.id);
      const { result, bumps, changes } = await trackConfig(deps, () => resetToken(deps, u.id, token.id));
      expect(result.key).not.toBe(key);
      expect(verifyApiKey(result.key, deps.cfg.user_token_secret)).toEqual({ ok: true });
      expect(result.token.keyMask).toBe(maskApiKey(result.key));
      expect(result.token.keyMask).not.toBe(before?.keyMask);
      const after = await dbRow(token.id);
      expect(after?.keyHash).toBe(hashApiKey(result.key));
      expect(after?.keyHash).not.toBe(before?.keyHash);
      expect(deps.tokenBox.decrypt(after!.keyEncrypted)).toBe(result.key);
      expect(await revealToken(deps, u.id, token.id)).toEqual({ key: result.key });
      expect(after?.name).toBe('rotate');
      expect(bumps).toBe(1);
      expect(changes[0]!.changes).toEqual([{ entity: 'token', id: String(token.id), op: 'upsert' }]);
      const byOldHash = await deps.db.db
        .selectFrom('tokens')
        .select('id')
        .where('keyHash', '=', hashApiKey(key))
        .execute();
      expect(byOldHash).toEqual([]);
    });

    it("cannot rotate another user's key", async () => {
      const owner = await seedUser(deps);
      const intruder = await seedUser(deps);
      const { token } = await createToken(deps, owner.id, { name: 'owned' });
      const before = await dbRow(token.id);
      const { error, bumps } = await trackFailedConfig(deps, () => resetToken(deps, intruder.id, token.id));
      expect(serviceCode(error)).toBe('NOT_FOUND');
      expect(bumps).toBe(0);
      expect(await dbRow(token.id)).toEqual(before);
    });
  });

  describe('deleteToken', () => {
    it('deletes the key and records a delete change', async () => {
      const u = await seedUser(deps);
      const { token } = await createToken(deps, u.id, { name: `gone ${rid(3)}` });
      const { result, bumps, changes } = await trackConfig(deps, () => deleteToken(deps, u.id, token.id));
      expect(result).toEqual({ id: token.id });
      expect(bumps).toBe(1);
      expect(changes[0]!.changes).toEqual([{ entity: 'token', id: String(token.id), op: 'delete' }]);
      expect(await dbRow(token.id)).toBeUndefined();
      await expect(getToken(deps, u.id, token.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('is NOT_FOUND twice, and for another user, without bumping the version', async () => {
      const owner = await seedUser(deps);
      const intruder = await seedUser(deps);
      const { token } = await createToken(deps, owner.id, { name: 'owned' });
      const foreign = await trackFailedConfig(deps, () => deleteToken(deps, intruder.id, token.id));
      expect(serviceCode(foreign.error)).toBe('NOT_FOUND');
      expect(foreign.bumps).toBe(0);
      expect(await dbRow(token.id)).toBeDefined();
      await deleteToken(deps, owner.id, token.id);
      const again = await trackFailedConfig(deps, () => deleteToken(deps, owner.id, token.id));
      expect(serviceCode(again.error)).toBe('NOT_FOUND');
      expect(again.bumps).toBe(0);
    });

    it('frees the name for a new key', async () => {
      const u = await seedUser(deps);
      const { token } = await createToken(deps, u.id, { name: 'reuse' });
      await deleteToken(deps, u.id, token.id);
      const again = await createToken(deps, u.id, { name: 'reuse' });
      expect(again.token.name).toBe('reuse');
    });
  });
});
