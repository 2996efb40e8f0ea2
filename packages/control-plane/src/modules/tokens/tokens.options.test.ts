import { isIP } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anonCaller,
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  type TestDeps,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { setSettings } from '../settings/settings.service.ts';
import { ipFamily, ipOrCidrSchema } from './tokens.schemas.ts';

describe('ipFamily (browser-safe) agrees with node:net isIP', () => {
  it.each([
    '0.0.0.0',
    '255.255.255.255',
    '10.1.2.3',
    '01.2.3.4',
    '1.2.3.04',
    '256.1.1.1',
    '1.2.3',
    '1.2.3.4.5',
    ' 1.2.3.4',
    '::',
    '::1',
    '1::',
    'FFFF::',
    '2001:db8::8a2e:370:7334',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4::5:6:7:8',
    '1:2:3:4:5:6:7::',
    '::1:2:3:4:5:6:7',
    '1::2::3',
    '1:::2',
    ':1::',
    '12345::',
    '00000::1',
    'g::1',
    '::ffff:1.2.3.4',
    '::1.2.3.4',
    '::ffff:01.2.3.4',
    '::ffff:1.2.3',
    '1:2:3:4:5:6:1.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1:2:3:4:5::1.2.3.4',
    '1.2.3.4::',
    '',
    ':',
    'localhost',
  ])('%j', (text) => {
    expect(ipFamily(text)).toBe(isIP(text));
  });

  it('refuses zone ids, which a key allow-list cannot use', () => {
    expect(ipFamily('fe80::1%eth0')).toBe(0);
    expect(ipOrCidrSchema.safeParse('fe80::1%eth0').success).toBe(false);
  });
});

describe.each(DB_KINDS)('tokens.options on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  it('offers the user their own group first, then the selectable ones, and the new-key defaults', async () => {
    const u = await createUserWithSession(deps, 'user');
    expect(await u.caller.tokens.options()).toEqual({
      ownGroup: 'default',
      groups: ['default'],
      defaultUnlimited: true,
      quotaPerUnit: 500_000,
      currency: 'USD',
    });
    await setSettings(deps, {
      user_selectable_groups: ['vip', 'default', 'batch'],
      default_key_unlimited: false,
      display_currency: 'CNY',
      quota_per_unit: 1000,
    });
    try {
      expect(await u.caller.tokens.options()).toEqual({
        ownGroup: 'default',
        groups: ['default', 'batch', 'vip'],
        defaultUnlimited: false,
        quotaPerUnit: 1000,
        currency: 'CNY',
      });
    } finally {
      await setSettings(deps, {
        user_selectable_groups: [],
        default_key_unlimited: true,
        display_currency: 'USD',
        quota_per_unit: 500_000,
      });
    }
  });

  it('a group the options do not offer is refused by tokens.create and tokens.update', async () => {
    const u = await createUserWithSession(deps, 'user');
    const opts = await u.caller.tokens.options();
    expect(opts.groups).not.toContain('secret-group');
    const create = await outcomeOf(() => u.caller.tokens.create({ name: 'k1', group: 'secret-group' }));
    expect(create.outcome).toBe('BAD_REQUEST');
    const { token } = await u.caller.tokens.create({ name: 'k2', group: opts.ownGroup });
    const update = await outcomeOf(() => u.caller.tokens.update({ id: token.id, group: 'secret-group' }));
    expect(update.outcome).toBe('BAD_REQUEST');
    expect((await u.caller.tokens.get({ id: token.id })).groupName).toBe(opts.ownGroup);
  });

  it('needs a session', async () => {
    expect((await outcomeOf(() => anonCaller(deps).tokens.options())).outcome).toBe('UNAUTHORIZED');
  });
});
