import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  seedUser,
  type TestDeps,
  trackConfig,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { createToken } from '../tokens/tokens.service.ts';

/** The admin's user detail page: a user's keys (masks only), their ledger, "disable all keys". */
describe.each(DB_KINDS)('users.keys / users.ledger / users.disableAllKeys on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);
  afterAll(() => deps?.cleanup());

  it('users.keys lists the user’s keys newest first with masks, never a key, hash or sealed box', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const target = await seedUser(deps, 'user');
    const other = await seedUser(deps, 'user');
    const a = await createToken(deps, target.id, { name: 'first', unlimitedQuota: false, remainQuota: 500 });
    const b = await createToken(deps, target.id, { name: 'second', models: ['gpt-4o-mini'] });
    await createToken(deps, other.id, { name: 'not theirs' });
    const rows = await admin.caller.users.keys({ userId: target.id });
    expect(rows.map((r) => r.name)).toEqual(['second', 'first']);
    expect(rows[0]).toMatchObject({ id: b.token.id, keyMask: b.token.keyMask, models: ['gpt-4o-mini'] });
    expect(rows[1]).toMatchObject({ id: a.token.id, unlimitedQuota: false, remainQuota: 500 });
    const stored = await deps.db.db
      .selectFrom('tokens')
      .select(['keyHash', 'keyEncrypted'])
      .where('userId', '=', target.id)
      .execute();
    const json = JSON.stringify(rows);
    for (const secret of [a.key, b.key, ...stored.flatMap((r) => [r.keyHash, r.keyEncrypted])])
      expect(json).not.toContain(secret);
    for (const row of rows) {
      expect(row).not.toHaveProperty('keyHash');
      expect(row).not.toHaveProperty('keyEncrypted');
    }
  });

  it('users.keys of a user with no keys is empty; of an unknown user NOT_FOUND', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const target = await seedUser(deps, 'user');
    expect(await admin.caller.users.keys({ userId: target.id })).toEqual([]);
    expect((await outcomeOf(() => admin.caller.users.keys({ userId: 2_000_000_000 }))).outcome).toBe(
      'NOT_FOUND',
    );
  });

  it('users.ledger shows an adjustment with its reason and the admin who made it', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const target = await seedUser(deps, 'user');
    await admin.caller.users.adjustBalance({ userId: target.id, amount: 250_000, reason: 'goodwill credit' });
    await admin.caller.users.adjustBalance({ userId: target.id, amount: -50_000, reason: 'refund reversal' });
    const rows = await admin.caller.users.ledger({ userId: target.id });
    expect(rows.map((r) => [r.kind, r.amount, r.note, r.actorEmail])).toEqual([
      ['adjust', -50_000, 'refund reversal', admin.user.email],
      ['adjust', 250_000, 'goodwill credit', admin.user.email],
    ]);
    expect((await admin.caller.users.ledger({ userId: target.id, limit: 1 })).length).toBe(1);
    expect((await admin.caller.users.get({ id: target.id })).balance).toBe(200_000);
    expect((await outcomeOf(() => admin.caller.users.ledger({ userId: 2_000_000_000 }))).outcome).toBe(
      'NOT_FOUND',
    );
  });

  it('users.disableAllKeys disables only that user’s enabled keys, in one snapshot bump', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const target = await seedUser(deps, 'user');
    const other = await seedUser(deps, 'user');
    const k1 = await createToken(deps, target.id, { name: 'k1' });
    const k2 = await createToken(deps, target.id, { name: 'k2' });
    const k3 = await createToken(deps, target.id, { name: 'k3' });
    await deps.db.db
      .updateTable('tokens')
      .set({ status: 'disabled' })
      .where('id', '=', k3.token.id)
      .execute();
    const theirs = await createToken(deps, other.id, { name: 'kept' });
    const { result, bumps, changes } = await trackConfig(deps, () =>
      admin.caller.users.disableAllKeys({ userId: target.id }),
    );
    expect(result).toEqual({ disabled: 2 });
    expect(bumps).toBe(1);
    expect(changes[0]?.changes.map((c) => c.id).sort()).toEqual(
      [String(k1.token.id), String(k2.token.id)].sort(),
    );
    const statuses = await admin.caller.users.keys({ userId: target.id });
    expect(statuses.every((k) => k.status === 'disabled')).toBe(true);
    expect((await admin.caller.users.keys({ userId: other.id }))[0]).toMatchObject({
      id: theirs.token.id,
      status: 'enabled',
    });
    // nothing left to disable: no bump
    const again = await trackConfig(deps, () => admin.caller.users.disableAllKeys({ userId: target.id }));
    expect(again.result).toEqual({ disabled: 0 });
    expect(again.bumps).toBe(0);
    expect(
      (await outcomeOf(() => admin.caller.users.disableAllKeys({ userId: 2_000_000_000 }))).outcome,
    ).toBe('NOT_FOUND');
  });

  it('a user gets FORBIDDEN from all three, even for their own id', async () => {
    const user = await createUserWithSession(deps, 'user');
    await createToken(deps, user.user.id, { name: 'mine' });
    for (const call of [
      () => user.caller.users.keys({ userId: user.user.id }),
      () => user.caller.users.ledger({ userId: user.user.id }),
      () => user.caller.users.disableAllKeys({ userId: user.user.id }),
    ])
      expect((await outcomeOf(call)).outcome).toBe('FORBIDDEN');
    expect((await user.caller.tokens.list())[0]?.status).toBe('enabled');
  });
});
