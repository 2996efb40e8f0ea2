import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRule } from './modules/alerts/alerts.service.ts';
import { createNotifier } from './modules/alerts/notifications.service.ts';
import { createSession, SESSION_COOKIE, SESSION_TTL_MS, sessionUser } from './modules/auth/sessions.ts';
import { createChannel } from './modules/channels/channels.service.ts';
import { createGroup } from './modules/groups/groups.service.ts';
import { seedLog } from './modules/logs/logs.fixtures.ts';
import { setPrice } from './modules/prices/prices.service.ts';
import { createToken } from './modules/tokens/tokens.service.ts';
import {
  anonCaller,
  type Caller,
  configVersion,
  contextFor,
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  randomEmail,
  rid,
  type SignedInUser,
  seedUser,
  TEST_PASSWORD,
  type TestDeps,
} from './testing/harness.ts';
import {
  type PaymentsFixture,
  paymentProcedures,
  preparePayments,
  seedPayments,
} from './testing/payments-fixture.ts';
import {
  type Actor,
  callByPath,
  expectedClass,
  mismatches,
  outcomeOf,
  type ProcedureTable,
  procedurePaths,
  runRoleMatrix,
  staleEntries,
  unclassifiedProcedures,
} from './testing/role-matrix.ts';
import { seedTotp, type TotpFixture, totpProcedures } from './testing/totp-fixture.ts';
import { appRouter, createCaller } from './trpc/app-router.ts';

/** What every role-matrix run starts from: three signed-in actors and one object of each kind. */
interface Fixture extends PaymentsFixture, TotpFixture {
  /** a key owned by the `user` actor */
  tokenId: number;
  channelId: number;
  priceModel: string;
  /** a defined group nobody uses (so it can be deleted) */
  groupName: string;
  /** a plain user the admin procedures act on; its credentials are the login sample */
  target: { id: number; email: string };
  /** a request log row of the `user` actor */
  logId: number;
  /** public id of a second session of the `user` actor */
  spareSessionId: string;
  /** an alert rule and a notification channel (a webhook to a closed local port) */
  alertRuleId: number;
  notifierId: number;
}

/**
 * Every procedure of the app, its access class and a valid sample input. A procedure missing here
 * fails the suite: classify it (and give it a happy, an error and a security case in its module).
 */
const procedures: ProcedureTable<Fixture> = {
  'auth.me': { access: 'public', input: () => undefined },
  'auth.login': { access: 'public', input: (f) => ({ email: f.target.email, password: TEST_PASSWORD }) },
  'auth.register': {
    access: 'public',
    input: () => ({ email: randomEmail('reg'), password: 'register-pass-1' }),
  },
  'auth.logout': { access: 'user', input: () => undefined },
  'auth.adminPing': { access: 'admin', input: () => undefined },
  'auth.sessions': { access: 'user', input: () => undefined },
  'auth.revokeSession': { access: 'user', ownedByUser: true, input: (f) => ({ id: f.spareSessionId }) },
  'auth.logoutEverywhere': { access: 'user', input: () => undefined },
  'auth.changePassword': {
    access: 'user',
    input: () => ({ current: TEST_PASSWORD, next: 'changed-pass-123' }),
  },

  'users.list': { access: 'admin', input: () => ({}) },
  'users.get': { access: 'admin', input: (f) => ({ id: f.target.id }) },
  'users.create': {
    access: 'admin',
    input: () => ({ email: randomEmail('new'), password: 'created-pass-1' }),
  },
  'users.update': { access: 'admin', input: (f) => ({ userId: f.target.id, group: 'vip' }) },
  'users.keys': { access: 'admin', input: (f) => ({ userId: f.target.id }) },
  'users.ledger': { access: 'admin', input: (f) => ({ userId: f.target.id, limit: 5 }) },
  'users.disableAllKeys': { access: 'admin', input: (f) => ({ userId: f.target.id }) },
  'users.adjustBalance': {
    access: 'admin',
    input: (f) => ({ userId: f.target.id, amount: 1_000, reason: 'role matrix' }),
  },

  'tokens.list': { access: 'user', input: () => undefined },
  'tokens.create': { access: 'user', input: () => ({ name: `key ${rid(4)}` }) },
  'tokens.get': { access: 'user', ownedByUser: true, input: (f) => ({ id: f.tokenId }) },
  'tokens.update': {
    access: 'user',
    ownedByUser: true,
    input: (f) => ({ id: f.tokenId, name: `renamed ${rid(4)}` }),
  },
  'tokens.setStatus': {
    access: 'user',
    ownedByUser: true,
    input: (f) => ({ id: f.tokenId, status: 'disabled' }),
  },
  'tokens.reset': { access: 'user', ownedByUser: true, input: (f) => ({ id: f.tokenId }) },
  'tokens.reveal': { access: 'user', ownedByUser: true, input: (f) => ({ id: f.tokenId }) },
  'tokens.delete': { access: 'user', ownedByUser: true, input: (f) => ({ id: f.tokenId }) },
  // scoped to the session's own user: no object in the input
  'tokens.options': { access: 'user', input: () => undefined },
  'account.profile': { access: 'user', input: () => undefined },
  'account.updateProfile': { access: 'user', input: () => ({ displayName: `Name ${rid(3)}` }) },
  'account.setLocale': { access: 'user', input: () => ({ locale: 'zh-CN' }) },
  'docs.info': { access: 'user', input: () => undefined },
  'docs.models': { access: 'user', input: () => ({}) },

  'channels.list': { access: 'admin', input: () => undefined },
  'channels.get': { access: 'admin', input: (f) => ({ id: f.channelId }) },
  'channels.create': {
    access: 'admin',
    input: () => ({
      name: `ch ${rid(4)}`,
      baseUrl: 'https://upstream.example.test/v1',
      keys: [`sk-up-${rid(12)}`],
      models: ['gpt-4o-mini'],
    }),
  },
  'channels.update': { access: 'admin', input: (f) => ({ id: f.channelId, weight: 5 }) },
  'channels.setStatus': { access: 'admin', input: (f) => ({ id: f.channelId, status: 'manual_disabled' }) },
  'channels.delete': { access: 'admin', input: (f) => ({ id: f.channelId }) },
  'channels.clone': { access: 'admin', input: (f) => ({ id: f.channelId }) },

  'prices.list': { access: 'admin', input: () => undefined },
  'prices.set': {
    access: 'admin',
    input: () => ({ model: `model-${rid(4)}`, inputPrice: 100, outputPrice: 300 }),
  },
  'prices.delete': { access: 'admin', input: (f) => ({ model: f.priceModel }) },
  'prices.import': {
    access: 'admin',
    input: () => ({ prices: { [`ref-${rid(4)}`]: { input: 0.15, output: 0.6 } } }),
  },
  'prices.importStatus': { access: 'admin', input: () => undefined },

  'groups.list': { access: 'admin', input: () => undefined },
  'groups.create': { access: 'admin', input: () => ({ name: `g-${rid(4)}`, multiplier: '1.2' }) },
  'groups.update': { access: 'admin', input: (f) => ({ name: f.groupName, multiplier: '1.5' }) },
  'groups.delete': { access: 'admin', input: (f) => ({ name: f.groupName }) },

  'settings.get': { access: 'admin', input: () => undefined },
  'alerts.rules': { access: 'admin', input: () => undefined },
  'alerts.createRule': {
    access: 'admin',
    input: () => ({ kind: 'error_rate', name: `rule ${rid(4)}`, params: { thresholdPct: 20 } }),
  },
  'alerts.updateRule': { access: 'admin', input: (f) => ({ id: f.alertRuleId, cooldownSeconds: 60 }) },
  'alerts.deleteRule': { access: 'admin', input: (f) => ({ id: f.alertRuleId }) },
  'alerts.channels': { access: 'admin', input: () => undefined },
  'alerts.createChannel': {
    access: 'admin',
    input: () => ({ name: `hook ${rid(4)}`, type: 'webhook', config: { url: 'http://127.0.0.1:9/hook' } }),
  },
  'alerts.updateChannel': {
    access: 'admin',
    input: (f) => ({ id: f.notifierId, name: `renamed ${rid(4)}` }),
  },
  'alerts.deleteChannel': { access: 'admin', input: (f) => ({ id: f.notifierId }) },
  'alerts.sendTest': { access: 'admin', input: (f) => ({ id: f.notifierId }) },
  'alerts.history': { access: 'admin', input: () => ({ limit: 10 }) },
  'health.testChannel': { access: 'admin', input: (f) => ({ id: f.channelId }) },
  'health.testAll': { access: 'admin', input: () => undefined },
  'health.refreshBalance': { access: 'admin', input: (f) => ({ id: f.channelId }) },
  'health.setBalance': { access: 'admin', input: (f) => ({ id: f.channelId, balance: 1234 }) },

  'settings.set': { access: 'admin', input: () => ({ site_name: `Site ${rid(2)}` }) },

  'stats.adminDashboard': {
    access: 'admin',
    input: () => ({ from: Date.now() - 7 * 86_400_000, to: Date.now(), tzOffsetMinutes: 60 }),
  },
  // scoped to the session's own user: no object in the input, so every signed-in actor gets their own
  'stats.myUsage': { access: 'user', input: () => ({ from: Date.now() - 30 * 86_400_000, to: Date.now() }) },

  'logs.search': { access: 'admin', input: () => ({ status: 'ok', limit: 10 }) },
  'logs.get': { access: 'admin', input: (f) => ({ id: f.logId }) },
  // scoped to the session's own user by the server: every signed-in actor sees only their rows
  'logs.mine': { access: 'user', input: () => ({ limit: 10 }) },
  'logs.getMine': { access: 'user', ownedByUser: true, input: (f) => ({ id: f.logId }) },
  ...paymentProcedures,
  ...totpProcedures,
};

describe('procedure table', () => {
  it('classifies every procedure of appRouter (add new procedures to the table in security.test.ts)', () => {
    expect(procedurePaths(appRouter).length).toBeGreaterThan(0);
    expect(unclassifiedProcedures(appRouter, procedures as ProcedureTable<unknown>)).toEqual([]);
  });

  it('names no procedure that does not exist', () => {
    expect(staleEntries(appRouter, procedures as ProcedureTable<unknown>)).toEqual([]);
  });

  it('enumerates the flattened tRPC v11 record (dotted paths, one entry per procedure)', () => {
    const paths = procedurePaths(appRouter);
    expect(paths).toContain('tokens.get');
    expect(paths).toContain('auth.me');
    expect(paths.every((p) => p.split('.').length === 2)).toBe(true);
  });
});

function call(caller: Caller, path: string, input: unknown) {
  return outcomeOf(() => callByPath(caller, path, input));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof TRPCError ? err.code : `thrown:${(err as Error).name}`;
  }
}

describe.each(DB_KINDS)('security on %s', (kind) => {
  let deps: TestDeps;

  let payments: { close(): Promise<void> } | undefined;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
    payments = await preparePayments(deps);
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
    await payments?.close();
  });

  async function seedAlerts(): Promise<{ alertRuleId: number; notifierId: number }> {
    const notifier = await createNotifier(deps, {
      name: `hook ${rid(4)}`,
      type: 'webhook',
      config: { url: 'http://127.0.0.1:9/hook', secret: 'whsec' },
    });
    const rule = await createRule(deps, {
      kind: 'error_rate',
      name: `rule ${rid(4)}`,
      notificationChannelIds: [notifier.id],
    });
    return { alertRuleId: rule.id, notifierId: notifier.id };
  }

  async function createWorld(): Promise<{
    fixture: Fixture;
    callers: Record<Actor, Caller>;
    actors: Record<Exclude<Actor, 'anon'>, SignedInUser>;
  }> {
    const user = await createUserWithSession(deps, 'user');
    const otherUser = await createUserWithSession(deps, 'user');
    const admin = await createUserWithSession(deps, 'admin');
    const target = await seedUser(deps, 'user');
    const { token } = await createToken(deps, user.user.id, { name: `key ${rid(4)}` });
    const channel = await createChannel(deps, {
      name: `ch ${rid(4)}`,
      baseUrl: 'https://upstream.example.test/v1',
      keys: [`sk-up-${rid(12)}`],
      models: ['gpt-4o-mini'],
    });
    const price = await setPrice(deps, { model: `model-${rid(4)}`, inputPrice: 1, outputPrice: 2 });
    const group = await createGroup(deps, { name: `g-${rid(4)}` });
    return {
      fixture: {
        tokenId: token.id,
        channelId: channel.id,
        priceModel: price.model,
        groupName: group.name,
        target: { id: target.id, email: target.email },
        logId: await seedLog(deps, { userId: user.user.id, tokenId: token.id, channelId: channel.id }),
        ...(await seedAlerts()),
        ...(await seedPayments(deps, user.user.id)),
        ...(await seedTotp(deps, [user.user.id, otherUser.user.id, admin.user.id])),
        spareSessionId: createHash('sha256')
          .update((await createSession(deps, user.user.id, { ip: '127.0.0.1' })).token)
          .digest('hex')
          .slice(0, 16),
      },
      callers: {
        anon: anonCaller(deps),
        user: user.caller,
        otherUser: otherUser.caller,
        admin: admin.caller,
      },
      actors: { user, otherUser, admin },
    };
  }

  describe('role matrix', () => {
    it.each(procedurePaths(appRouter))('%s', async (path) => {
      const spec = procedures[path];
      if (!spec) throw new Error(`${path} is not classified in the procedure table of security.test.ts`);
      const world = await createWorld();
      const rows = await runRoleMatrix(path, spec, world);
      expect(rows.length).toBeGreaterThanOrEqual(4);
      expect(mismatches(rows)).toEqual([]);
    });
  });

  it('a user session gets FORBIDDEN from every admin procedure, before any input validation', async () => {
    const world = await createWorld();
    const admin = Object.entries(procedures).filter(([, s]) => s.access === 'admin');
    expect(admin.length).toBeGreaterThan(10);
    for (const [path, spec] of admin) {
      expect(expectedClass(spec, 'user')).toBe('FORBIDDEN');
      expect([path, (await call(world.callers.user, path, spec.input(world.fixture))).outcome]).toEqual([
        path,
        'FORBIDDEN',
      ]);
      expect([path, (await call(world.callers.user, path, { bogus: true })).outcome]).toEqual([
        path,
        'FORBIDDEN',
      ]);
    }
  });

  it('no session gets UNAUTHORIZED from every user and admin procedure', async () => {
    const world = await createWorld();
    const guarded = Object.entries(procedures).filter(([, s]) => s.access !== 'public');
    for (const [path, spec] of guarded) {
      expect([path, (await call(world.callers.anon, path, spec.input(world.fixture))).outcome]).toEqual([
        path,
        'UNAUTHORIZED',
      ]);
      expect([path, (await call(world.callers.anon, path, undefined)).outcome]).toEqual([
        path,
        'UNAUTHORIZED',
      ]);
    }
  });

  describe("another user's key", () => {
    async function keyRow(id: number) {
      return deps.db.db
        .selectFrom('tokens')
        .select([
          'id',
          'userId',
          'name',
          'status',
          'keyHash',
          'keyEncrypted',
          'keyMask',
          'remainQuota',
          'updatedAt',
        ])
        .where('id', '=', id)
        .executeTakeFirst();
    }

    it('is NOT_FOUND for get/update/setStatus/reset/reveal/delete and stays unchanged', async () => {
      const a = await createUserWithSession(deps, 'user');
      const b = await createUserWithSession(deps, 'user');
      const created = await b.caller.tokens.create({ name: 'b key' });
      const id = created.token.id;
      const before = await keyRow(id);
      const version = await configVersion(deps);
      const attempts: [string, () => Promise<unknown>][] = [
        ['get', () => a.caller.tokens.get({ id })],
        ['update', () => a.caller.tokens.update({ id, name: 'stolen', remainQuota: 5 })],
        ['setStatus', () => a.caller.tokens.setStatus({ id, status: 'disabled' })],
        ['reset', () => a.caller.tokens.reset({ id })],
        ['reveal', () => a.caller.tokens.reveal({ id })],
        ['delete', () => a.caller.tokens.delete({ id })],
      ];
      for (const [name, attempt] of attempts) {
        expect([name, await codeOf(attempt())]).toEqual([name, 'NOT_FOUND']);
      }
      const after = await keyRow(id);
      expect(after).toEqual(before);
      expect(after?.status).toBe('enabled');
      expect(after?.name).toBe('b key');
      expect(await configVersion(deps)).toBe(version);
      // B still has the key and its plaintext is the one issued
      expect((await b.caller.tokens.reveal({ id })).key).toBe(created.key);
    });

    it('gives the same answer as a key that does not exist (no enumeration)', async () => {
      const a = await createUserWithSession(deps, 'user');
      const b = await createUserWithSession(deps, 'user');
      const { token } = await b.caller.tokens.create({ name: 'b key' });
      const foreign = await outcomeOf(() => a.caller.tokens.get({ id: token.id }));
      const missing = await outcomeOf(() => a.caller.tokens.get({ id: 2_000_000_000 }));
      expect(foreign.outcome).toBe('NOT_FOUND');
      expect(missing.outcome).toBe('NOT_FOUND');
      expect((foreign.error as Error).message).toBe((missing.error as Error).message);
    });

    it('is not listed to anyone else, admins included', async () => {
      const b = await createUserWithSession(deps, 'user');
      const a = await createUserWithSession(deps, 'user');
      const admin = await createUserWithSession(deps, 'admin');
      const { token } = await b.caller.tokens.create({ name: 'b key' });
      expect((await b.caller.tokens.list()).map((t) => t.id)).toEqual([token.id]);
      expect((await a.caller.tokens.list()).map((t) => t.id)).toEqual([]);
      expect((await admin.caller.tokens.list()).map((t) => t.id)).not.toContain(token.id);
    });
  });

  it('channels.* never return an upstream key in plaintext or encrypted form', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const k1 = `sk-upstream-${rid(16)}`;
    const k2 = `upstream-second-${rid(16)}`;
    const created = await admin.caller.channels.create({
      name: 'secret channel',
      baseUrl: 'https://upstream.example.test/v1',
      keys: [k1, k2],
      models: ['gpt-4o-mini'],
    });
    const row = await deps.db.db
      .selectFrom('channels')
      .select('keysEncrypted')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    const boxes = JSON.parse(row.keysEncrypted) as string[];
    expect(boxes.map((b) => deps.channelBox.decrypt(b))).toEqual([k1, k2]);
    const k3 = `sk-rotated-${rid(16)}`;
    const outputs = [
      created,
      await admin.caller.channels.list(),
      await admin.caller.channels.get({ id: created.id }),
      await admin.caller.channels.setStatus({ id: created.id, status: 'manual_disabled' }),
      await admin.caller.channels.update({ id: created.id, keys: [k3] }),
      await admin.caller.channels.list(),
    ];
    const json = JSON.stringify(outputs);
    for (const secret of [k1, k2, k3, ...boxes]) expect(json).not.toContain(secret);
    expect(json).not.toMatch(/keysEncrypted|keys_encrypted/);
    expect(created).not.toHaveProperty('keys');
    expect(created.keyMasks).toHaveLength(2);
  });

  it('tokens.* never return keyHash or keyEncrypted (only create/reset/reveal return the plaintext)', async () => {
    const u = await createUserWithSession(deps, 'user');
    const { token, key } = await u.caller.tokens.create({ name: 'mine', allowedIps: ['10.0.0.0/8'] });
    const row = await deps.db.db
      .selectFrom('tokens')
      .select(['keyHash', 'keyEncrypted'])
      .where('id', '=', token.id)
      .executeTakeFirstOrThrow();
    const list = await u.caller.tokens.list();
    expect(list).toHaveLength(1);
    const outputs = [
      token,
      list,
      await u.caller.tokens.get({ id: token.id }),
      await u.caller.tokens.update({ id: token.id, remainQuota: 10 }),
      await u.caller.tokens.setStatus({ id: token.id, status: 'disabled' }),
    ];
    for (const item of [token, ...list, outputs[2], outputs[3], outputs[4]]) {
      expect(item).not.toHaveProperty('keyHash');
      expect(item).not.toHaveProperty('keyEncrypted');
    }
    const json = JSON.stringify(outputs);
    for (const secret of [key, row.keyHash, row.keyEncrypted]) expect(json).not.toContain(secret);
    const reset = await u.caller.tokens.reset({ id: token.id });
    expect(reset.token).not.toHaveProperty('keyHash');
    expect(reset.token).not.toHaveProperty('keyEncrypted');
    expect(JSON.stringify(await u.caller.tokens.list())).not.toContain(reset.key);
  });

  it('users.* never return the password hash or TOTP secret', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const target = await seedUser(deps, 'user');
    const outputs = [
      await admin.caller.users.list({}),
      await admin.caller.users.get({ id: target.id }),
      await admin.caller.users.create({ email: randomEmail('c'), password: 'long-enough-1' }),
      await admin.caller.users.update({ userId: target.id, group: 'vip' }),
      await admin.caller.users.adjustBalance({ userId: target.id, amount: 5, reason: 'x' }),
    ];
    const json = JSON.stringify(outputs);
    expect(json).not.toMatch(/passwordHash|password_hash|totpSecret|scrypt\$/);
  });

  describe('auth', () => {
    it('auth.me is null without a session and the public profile with one', async () => {
      expect(await anonCaller(deps).auth.me()).toBeNull();
      const u = await createUserWithSession(deps, 'user');
      const me = await u.caller.auth.me();
      expect(me).toEqual({
        id: u.user.id,
        email: u.user.email,
        displayName: u.user.displayName,
        role: 'user',
        group: 'default',
      });
    });

    it('a wrong password is UNAUTHORIZED with the same message as an unknown e-mail', async () => {
      const target = await seedUser(deps, 'user');
      const anon = anonCaller(deps);
      const wrong = await outcomeOf(() =>
        anon.auth.login({ email: target.email, password: 'not the password' }),
      );
      const unknown = await outcomeOf(() =>
        anon.auth.login({ email: randomEmail('nobody'), password: 'not the password' }),
      );
      expect(wrong.outcome).toBe('UNAUTHORIZED');
      expect(unknown.outcome).toBe('UNAUTHORIZED');
      expect((wrong.error as Error).message).toBe((unknown.error as Error).message);
    });

    it('a disabled account cannot sign in, and the wrong password still reads as wrong credentials', async () => {
      const target = await seedUser(deps, 'user');
      await deps.db.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', target.id).execute();
      const anon = anonCaller(deps);
      expect(await codeOf(anon.auth.login({ email: target.email, password: TEST_PASSWORD }))).toBe(
        'FORBIDDEN',
      );
      const wrong = await outcomeOf(() => anon.auth.login({ email: target.email, password: 'nope nope' }));
      expect(wrong.outcome).toBe('UNAUTHORIZED');
      expect((wrong.error as Error).message).toBe('wrong e-mail or password');
    });

    it('login sets an HttpOnly session cookie that resolves to the user; the e-mail is case-insensitive', async () => {
      const target = await seedUser(deps, 'user');
      const ctx = await contextFor(deps, undefined);
      const res = await createCaller(ctx).auth.login({
        email: target.email.toUpperCase(),
        password: TEST_PASSWORD,
      });
      expect(res).toEqual({ userId: target.id, role: 'user' });
      const cookie = ctx.resHeaders.get('set-cookie') ?? '';
      expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; `));
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).not.toContain('Secure');
      const token = cookie.split(';')[0]!.split('=')[1]!;
      expect((await sessionUser(deps, token))?.id).toBe(target.id);
      const row = await deps.db.db
        .selectFrom('sessions')
        .select('idHash')
        .where('userId', '=', target.id)
        .execute();
      expect(row.map((r) => r.idHash)).not.toContain(token);
    });

    it('logout ends the session for good', async () => {
      const u = await createUserWithSession(deps, 'user');
      expect(await u.caller.auth.logout()).toEqual({ ok: true });
      expect(u.ctx.resHeaders.get('set-cookie')).toContain('Max-Age=0');
      const again = await contextFor(deps, u.token);
      expect(again.user).toBeUndefined();
      expect(await codeOf(createCaller(again).tokens.list())).toBe('UNAUTHORIZED');
    });

    it('a session stops working when the user is disabled, expires, or is tampered with', async () => {
      const u = await createUserWithSession(deps, 'user');
      expect(
        await sessionUser({ db: deps.db, now: () => Date.now() + SESSION_TTL_MS + 1_000 }, u.token),
      ).toBeUndefined();
      expect(
        await sessionUser(deps, `${u.token.slice(0, -1)}${u.token.endsWith('A') ? 'B' : 'A'}`),
      ).toBeUndefined();
      expect(await sessionUser(deps, 'x'.repeat(101))).toBeUndefined();
      const admin = await createUserWithSession(deps, 'admin');
      await admin.caller.users.update({ userId: u.user.id, status: 'disabled' });
      const ctx = await contextFor(deps, u.token);
      expect(ctx.user).toBeUndefined();
      expect(await codeOf(createCaller(ctx).tokens.list())).toBe('UNAUTHORIZED');
    });

    it('a demoted admin loses admin procedures on the next request', async () => {
      const a = await createUserWithSession(deps, 'admin');
      const b = await createUserWithSession(deps, 'admin');
      expect(await a.caller.auth.adminPing()).toEqual({ ok: true });
      await b.caller.users.update({ userId: a.user.id, role: 'user' });
      const next = createCaller(await contextFor(deps, a.token));
      expect(await codeOf(next.auth.adminPing())).toBe('FORBIDDEN');
      expect(await codeOf(next.users.list({}))).toBe('FORBIDDEN');
    });

    it('register cannot choose a role', async () => {
      const ctx = await contextFor(deps, undefined);
      const input = { email: randomEmail('sneaky'), password: 'register-pass-1', role: 'admin' } as {
        email: string;
        password: string;
      };
      const res = await createCaller(ctx).auth.register(input);
      expect(res.role).toBe('user');
      const row = await deps.db.db
        .selectFrom('users')
        .select('role')
        .where('id', '=', res.userId)
        .executeTakeFirstOrThrow();
      expect(row.role).toBe('user');
    });
  });
});
