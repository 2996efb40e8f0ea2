import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../../errors.ts';
import {
  anonCaller,
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  randomEmail,
  rid,
  seedUser,
  type TestDeps,
  trackConfig,
  trackFailedConfig,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { login, register } from '../auth/auth.service.ts';
import { verifyPassword } from '../auth/password.ts';
import {
  adjustBalance,
  createUser,
  ensureFirstAdmin,
  getUser,
  listUsers,
  updateUser,
} from './users.service.ts';

function serviceCode(err: unknown): string {
  if (err instanceof ServiceError) return err.code;
  throw err;
}

describe.each(DB_KINDS)('users service on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  async function ledgerRows(userId: number) {
    return deps.db.db
      .selectFrom('ledger')
      .select(['userId', 'kind', 'amount', 'idempotencyKey', 'note', 'actorId'])
      .where('userId', '=', userId)
      .orderBy('id')
      .execute();
  }

  async function logRows(userId: number) {
    return deps.db.db
      .selectFrom('logs')
      .select(['requestId', 'kind', 'cost', 'note', 'userId'])
      .where('userId', '=', userId)
      .orderBy('id')
      .execute();
  }

  async function balance(userId: number): Promise<number> {
    const row = await deps.db.db
      .selectFrom('users')
      .select('balance')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(row.balance);
  }

  describe('createUser / register', () => {
    it('creates a user with a scrypt hash, lower-cased e-mail and defaults; bumps the version once', async () => {
      const email = randomEmail('New');
      const {
        result: user,
        bumps,
        changes,
      } = await trackConfig(deps, () => createUser(deps, { email, password: 'password-123' }));
      expect(user).toMatchObject({
        email: email.toLowerCase(),
        displayName: email.toLowerCase().split('@')[0],
        role: 'user',
        status: 'active',
        groupName: 'default',
        balance: 0,
      });
      expect(user).not.toHaveProperty('passwordHash');
      expect(bumps).toBe(1);
      expect(changes[0]!.changes).toEqual([{ entity: 'user', id: String(user.id), op: 'upsert' }]);
      const row = await deps.db.db
        .selectFrom('users')
        .select('passwordHash')
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow();
      expect(row.passwordHash).toMatch(/^scrypt\$/);
      expect(await verifyPassword('password-123', row.passwordHash)).toBe(true);
      expect(await verifyPassword('password-124', row.passwordHash)).toBe(false);
    });

    it('register signs the new user in with a session', async () => {
      const email = randomEmail('reg');
      const s = await register(
        deps,
        { email, password: 'register-123' },
        { ip: '203.0.113.9', userAgent: 'test' },
      );
      expect(s.role).toBe('user');
      expect(s.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const sessions = await deps.db.db
        .selectFrom('sessions')
        .select(['ip', 'userAgent'])
        .where('userId', '=', s.userId)
        .execute();
      expect(sessions).toEqual([{ ip: '203.0.113.9', userAgent: 'test' }]);
      const again = await login(deps, { email, password: 'register-123' }, {});
      expect(again.userId).toBe(s.userId);
    });

    it('register with a taken e-mail is a CONFLICT (any letter case) and writes nothing', async () => {
      const email = randomEmail('dup');
      await register(deps, { email, password: 'register-123' }, {});
      const users = await deps.db.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      for (const variant of [email, email.toUpperCase(), `  ${email}  `]) {
        const { error, bumps } = await trackFailedConfig(deps, () =>
          register(deps, { email: variant, password: 'other-pass-1' }, {}),
        );
        expect(serviceCode(error)).toBe('CONFLICT');
        expect(bumps).toBe(0);
      }
      const after = await deps.db.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(users.n));
      // the original password still works: the duplicate did not overwrite it
      expect((await login(deps, { email, password: 'register-123' }, {})).role).toBe('user');
    });

    it('auth.register reports the duplicate as CONFLICT through the router', async () => {
      const email = randomEmail('dup');
      const anon = anonCaller(deps);
      await anon.auth.register({ email, password: 'register-123' });
      const again = await outcomeOf(() => anon.auth.register({ email, password: 'register-123' }));
      expect(again.outcome).toBe('CONFLICT');
      expect((again.error as Error).message).toBe('an account with this e-mail already exists');
    });

    it('rejects a short password and a malformed e-mail', async () => {
      await expect(createUser(deps, { email: randomEmail(), password: 'short' })).rejects.toThrow();
      await expect(createUser(deps, { email: 'not-an-email', password: 'long-enough-1' })).rejects.toThrow();
      expect(
        (await outcomeOf(() => anonCaller(deps).auth.register({ email: randomEmail(), password: 'short' })))
          .outcome,
      ).toBe('BAD_REQUEST');
    });
  });

  describe('getUser / listUsers / updateUser', () => {
    it('getUser is NOT_FOUND for an unknown id', async () => {
      await expect(getUser(deps, 2_000_000_000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('lists newest first with paging, totals and an e-mail search', async () => {
      const tag = rid(4);
      const ids: number[] = [];
      for (let i = 0; i < 3; i++)
        ids.push(
          (await createUser(deps, { email: `list-${tag}-${i}@example.test`, password: 'password-123' })).id,
        );
      const page1 = await listUsers(deps, { search: `list-${tag}`, page: 1, pageSize: 2 });
      expect(page1.total).toBe(3);
      expect(page1.rows.map((r) => r.id)).toEqual([ids[2], ids[1]]);
      const page2 = await listUsers(deps, { search: `list-${tag}`, page: 2, pageSize: 2 });
      expect(page2.rows.map((r) => r.id)).toEqual([ids[0]]);
      expect(JSON.stringify(page1)).not.toMatch(/passwordHash|scrypt\$/);
    });

    it('searches display names case-insensitively', async () => {
      const tag = rid(4);
      const u = await createUser(deps, {
        email: randomEmail(),
        password: 'password-123',
        displayName: `Alice ${tag}`,
      });
      const found = await listUsers(deps, { search: `ALICE ${tag}`, page: 1, pageSize: 10 });
      expect(found.rows.map((r) => r.id)).toEqual([u.id]);
    });

    it('treats _ and % in the search text literally', async () => {
      const tag = rid(4);
      const exact = await createUser(deps, { email: `a_b-${tag}@example.test`, password: 'password-123' });
      await createUser(deps, { email: `axb-${tag}@example.test`, password: 'password-123' });
      const found = await listUsers(deps, { search: `a_b-${tag}`, page: 1, pageSize: 10 });
      expect(found.rows.map((r) => r.id)).toEqual([exact.id]);
    });

    it('updateUser changes role, status and group, one version bump', async () => {
      const u = await seedUser(deps);
      const { result, bumps, changes } = await trackConfig(deps, () =>
        updateUser(deps, { userId: u.id, role: 'admin', status: 'disabled', group: 'vip' }),
      );
      expect(result).toMatchObject({ id: u.id, role: 'admin', status: 'disabled', groupName: 'vip' });
      expect(bumps).toBe(1);
      expect(changes[0]!.changes).toEqual([{ entity: 'user', id: String(u.id), op: 'upsert' }]);
    });

    it('updateUser is NOT_FOUND for an unknown id, without a version bump', async () => {
      const { error, bumps } = await trackFailedConfig(deps, () =>
        updateUser(deps, { userId: 2_000_000_000, group: 'x' }),
      );
      expect(serviceCode(error)).toBe('NOT_FOUND');
      expect(bumps).toBe(0);
    });
  });

  describe('adjustBalance', () => {
    it('writes one ledger row and one log row and moves the balance', async () => {
      const u = await seedUser(deps);
      const actor = await seedUser(deps, 'admin');
      const { result, bumps, changes } = await trackConfig(deps, () =>
        adjustBalance(deps, { userId: u.id, amount: 5_000, reason: 'welcome credit', actorId: actor.id }),
      );
      expect(result.applied).toBe(true);
      expect(result.user.balance).toBe(5_000);
      expect(await balance(u.id)).toBe(5_000);
      const ledger = await ledgerRows(u.id);
      expect(ledger).toHaveLength(1);
      expect(ledger[0]).toMatchObject({
        userId: u.id,
        kind: 'adjust',
        amount: 5_000,
        note: 'welcome credit',
        actorId: actor.id,
      });
      expect(ledger[0]!.idempotencyKey).toMatch(/^adjust:[0-9a-f]{24}$/);
      const logs = await logRows(u.id);
      expect(logs).toEqual([
        {
          requestId: `ledger:${createHash('sha256').update(ledger[0]!.idempotencyKey).digest('hex').slice(0, 56)}`,
          kind: 'adjust',
          cost: -5_000,
          note: 'welcome credit',
          userId: u.id,
        },
      ]);
      expect(bumps).toBe(1);
      expect(changes[0]!.changes).toEqual([{ entity: 'user', id: String(u.id), op: 'upsert' }]);
    });

    it('debits with a negative amount and records a top-up kind', async () => {
      const u = await seedUser(deps);
      await adjustBalance(deps, { userId: u.id, amount: 1_000, reason: 'top-up', kind: 'topup' });
      const res = await adjustBalance(deps, { userId: u.id, amount: -300, reason: 'refund correction' });
      expect(res.user.balance).toBe(700);
      expect((await ledgerRows(u.id)).map((r) => [r.kind, r.amount])).toEqual([
        ['topup', 1_000],
        ['adjust', -300],
      ]);
      expect((await logRows(u.id)).map((r) => [r.kind, r.cost])).toEqual([
        ['topup', -1_000],
        ['adjust', 300],
      ]);
      // Σ(-cost) of the logs explains the balance
      expect((await logRows(u.id)).reduce((s, r) => s - Number(r.cost), 0)).toBe(await balance(u.id));
    });

    it('applies the same idempotency key once', async () => {
      const u = await seedUser(deps);
      const key = `retry-${rid()}`;
      const first = await adjustBalance(deps, {
        userId: u.id,
        amount: 250,
        reason: 'once',
        idempotencyKey: key,
      });
      const { result: second, bumps } = await trackConfig(deps, () =>
        adjustBalance(deps, { userId: u.id, amount: 250, reason: 'once', idempotencyKey: key }),
      );
      expect(first.applied).toBe(true);
      expect(second.applied).toBe(false);
      expect(second.user.balance).toBe(250);
      expect(await balance(u.id)).toBe(250);
      expect(await ledgerRows(u.id)).toHaveLength(1);
      expect(await logRows(u.id)).toHaveLength(1);
      expect(bumps).toBe(0);
    });

    it('applies two different idempotency keys twice', async () => {
      const u = await seedUser(deps);
      await adjustBalance(deps, { userId: u.id, amount: 1, reason: 'a', idempotencyKey: `k1-${rid()}` });
      await adjustBalance(deps, { userId: u.id, amount: 1, reason: 'b', idempotencyKey: `k2-${rid()}` });
      expect(await balance(u.id)).toBe(2);
      expect(await ledgerRows(u.id)).toHaveLength(2);
    });

    it('applies distinct long idempotency keys that share a prefix', async () => {
      const u = await seedUser(deps);
      const prefix = `order-${rid(30)}`;
      await adjustBalance(deps, { userId: u.id, amount: 1, reason: 'a', idempotencyKey: `${prefix}-first` });
      await adjustBalance(deps, { userId: u.id, amount: 1, reason: 'b', idempotencyKey: `${prefix}-second` });
      expect(await balance(u.id)).toBe(2);
    });

    it('is NOT_FOUND for an unknown user and writes nothing', async () => {
      const key = `ghost-${rid()}`;
      const { error, bumps } = await trackFailedConfig(deps, () =>
        adjustBalance(deps, { userId: 2_000_000_000, amount: 1, reason: 'x', idempotencyKey: key }),
      );
      expect(serviceCode(error)).toBe('NOT_FOUND');
      expect(bumps).toBe(0);
      expect(
        await deps.db.db.selectFrom('ledger').select('id').where('idempotencyKey', '=', key).execute(),
      ).toEqual([]);
    });

    it('through the router, records the admin as the actor', async () => {
      const admin = await createUserWithSession(deps, 'admin');
      const u = await seedUser(deps);
      const res = await admin.caller.users.adjustBalance({ userId: u.id, amount: 42, reason: 'support' });
      expect(res.applied).toBe(true);
      expect((await ledgerRows(u.id))[0]?.actorId).toBe(admin.user.id);
      expect(
        (await outcomeOf(() => admin.caller.users.adjustBalance({ userId: u.id, amount: 0, reason: 'zero' })))
          .outcome,
      ).toBe('BAD_REQUEST');
    });
  });

  describe('ensureFirstAdmin', () => {
    async function withFreshDb(fn: (fresh: TestDeps) => Promise<void>): Promise<void> {
      const fresh = await createTestDeps({ kind });
      try {
        await fn(fresh);
      } finally {
        await fresh.cleanup();
      }
    }

    it('creates the admin once from the given credentials; the second call returns undefined', async () => {
      await withFreshDb(async (fresh) => {
        const email = randomEmail('root');
        const first = await ensureFirstAdmin(fresh, { email, password: 'admin-password-1' });
        expect(first).toEqual({ email, password: 'admin-password-1', generated: false });
        expect(
          await ensureFirstAdmin(fresh, { email: randomEmail('root2'), password: 'admin-password-2' }),
        ).toBeUndefined();
        const admins = await fresh.db.db
          .selectFrom('users')
          .select(['email', 'role', 'displayName'])
          .where('role', '=', 'admin')
          .execute();
        expect(admins).toEqual([{ email, role: 'admin', displayName: 'Administrator' }]);
        expect((await login(fresh, { email, password: 'admin-password-1' }, {})).role).toBe('admin');
      });
    }, 60_000);

    it('generates a password when none is configured', async () => {
      await withFreshDb(async (fresh) => {
        const created = await ensureFirstAdmin(fresh, {});
        expect(created?.email).toBe('admin@tollgate.local');
        expect(created?.generated).toBe(true);
        expect(created?.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
        expect(
          (await login(fresh, { email: 'admin@tollgate.local', password: created!.password }, {})).role,
        ).toBe('admin');
        expect(await ensureFirstAdmin(fresh, {})).toBeUndefined();
      });
    }, 60_000);

    it('does nothing when any admin already exists', async () => {
      await withFreshDb(async (fresh) => {
        await seedUser(fresh, 'admin');
        expect(
          await ensureFirstAdmin(fresh, { email: randomEmail(), password: 'admin-password-1' }),
        ).toBeUndefined();
      });
    }, 60_000);
  });
});
