import { randomBytes } from 'node:crypto';
import { type Config, configSchema } from '@tollgate/shared/config.ts';
import { type ConfigMessage, createConfigPublisher } from '@tollgate/shared/config-bus.ts';
import {
  createDb,
  createSqliteDb,
  type Db,
  type DbKind,
  insertedId,
  migrateToLatest,
} from '@tollgate/shared/db/index.ts';
import { createLogger } from '@tollgate/shared/logger.ts';
import { redisNames } from '@tollgate/shared/redis-names.ts';
import { createSecretBox } from '@tollgate/shared/secret-box.ts';
import type { ConfigChange } from '@tollgate/shared/snapshot/types.ts';
import { sql } from 'kysely';
import type { ControlPlaneDeps } from '../deps.ts';
import { hashPassword } from '../modules/auth/password.ts';
import { createSession, type SessionUser, sessionUser } from '../modules/auth/sessions.ts';
import { createCaller } from '../trpc/app-router.ts';
import type { Context } from '../trpc/init.ts';

/** MariaDB of the test environment: root, empty password (see CONVENTIONS.md, Tests). */
export const MYSQL_ROOT_URL = 'mysql://root@127.0.0.1:3306/';

/** The password of every user seeded by {@link createUserWithSession}. */
export const TEST_PASSWORD = 'correct horse battery staple';

/** Both database kinds, for `describe.each(DB_KINDS)`. */
export const DB_KINDS: readonly DbKind[] = ['sqlite', 'mysql'];

/** Control-plane deps over a private, migrated database, plus what a test needs to inspect and discard it. */
export interface TestDeps extends ControlPlaneDeps {
  kind: DbKind;
  /** every message handed to the publisher, in order (published only after commit) */
  published: ConfigMessage[];
  /** closes the database; on MySQL also drops the per-test database */
  cleanup(): Promise<void>;
}

export type Caller = ReturnType<typeof createCaller>;

/** A random suffix for e-mails, names and database names, so parallel test files never collide. */
export function rid(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

/** A fresh, valid e-mail address. */
export function randomEmail(prefix = 'u'): string {
  return `${prefix}-${rid()}@example.test`;
}

/** A test configuration built from the schema only: no `process.env`, no `config.yaml`, no secrets file. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  const parsed = configSchema.parse({ log_level: 'silent', node_env: 'test', ...overrides });
  return {
    ...parsed,
    user_token_secret: parsed.user_token_secret ?? `test-user-token-secret-${rid(16)}`,
    session_secret: parsed.session_secret ?? `test-session-secret-${rid(16)}`,
    production: Boolean(parsed.sql_dsn),
  };
}

async function openMysql(adminUrl: string): Promise<{ db: Db; name: string; drop: () => Promise<void> }> {
  const admin = createDb({ sql_dsn: adminUrl, data_dir: '' }, { poolSize: 1 });
  const name = `tg_test_${rid()}`;
  try {
    await sql`select 1`.execute(admin.db);
  } catch (cause) {
    await admin.close().catch(() => {});
    throw new Error(
      `MariaDB did not answer at ${adminUrl} (user root, empty password). Start it — the MySQL tests never skip.`,
      { cause },
    );
  }
  await sql`create database ${sql.id(name)} character set utf8mb4 collate utf8mb4_bin`.execute(admin.db);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createDb({ sql_dsn: url.toString(), data_dir: '' }, { poolSize: 4 });
  return {
    db,
    name,
    drop: async () => {
      try {
        await sql`drop database if exists ${sql.id(name)}`.execute(admin.db);
      } finally {
        await admin.close();
      }
    },
  };
}

/**
 * Builds {@link ControlPlaneDeps} for tests without reading the environment: SQLite in memory, or a
 * fresh `tg_test_<random>` database on MariaDB that `cleanup()` drops. Migrations are applied.
 */
export async function createTestDeps(opts: {
  kind: DbKind;
  mysqlUrl?: string;
  config?: Record<string, unknown>;
}): Promise<TestDeps> {
  let db: Db;
  let drop: () => Promise<void> = async () => {};
  let sqlDsn: string | undefined;
  if (opts.kind === 'mysql') {
    const m = await openMysql(opts.mysqlUrl ?? MYSQL_ROOT_URL);
    db = m.db;
    drop = m.drop;
    const url = new URL(opts.mysqlUrl ?? MYSQL_ROOT_URL);
    url.pathname = `/${m.name}`;
    sqlDsn = url.toString();
  } else {
    db = createSqliteDb(':memory:');
  }
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.close().catch(() => {});
    await drop().catch(() => {});
    throw err;
  }
  const cfg = testConfig({ ...(sqlDsn ? { sql_dsn: sqlDsn } : {}), ...opts.config });
  const published: ConfigMessage[] = [];
  const inner = createConfigPublisher(undefined, 'unused');
  let closed = false;
  return {
    kind: opts.kind,
    cfg,
    db,
    redis: undefined,
    redisNames: redisNames(cfg.redis_prefix),
    publisher: {
      async publish(message) {
        published.push(message);
        await inner.publish(message);
      },
    },
    tokenBox: createSecretBox(cfg.user_token_secret, 'token-key'),
    channelBox: createSecretBox(cfg.user_token_secret, 'channel-key'),
    settingsBox: createSecretBox(cfg.user_token_secret, 'settings-secret'),
    logger: createLogger({ log_level: 'silent' }, 'test'),
    now: Date.now,
    published,
    async cleanup() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        await drop();
      }
    },
  };
}

let passwordHash: Promise<string> | undefined;

/** The context `trpc/context.ts` would build for a request carrying `token` as its session cookie. */
export async function contextFor(deps: ControlPlaneDeps, token: string | undefined): Promise<Context> {
  return {
    deps,
    user: await sessionUser(deps, token),
    ip: '127.0.0.1',
    userAgent: 'vitest',
    resHeaders: new Headers(),
    secure: false,
    csrfHeader: true,
  };
}

export interface SeededUser {
  id: number;
  email: string;
  password: string;
  role: 'user' | 'admin';
}

/**
 * Inserts an active user with a random e-mail and {@link TEST_PASSWORD} (hashed once per process, so
 * seeding stays cheap), without going through the services: seeding is not what is under test.
 */
export async function seedUser(
  deps: Pick<ControlPlaneDeps, 'db' | 'now'>,
  role: 'user' | 'admin' = 'user',
  opts: { group?: string } = {},
): Promise<SeededUser> {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  const email = randomEmail(role);
  const now = deps.now();
  const res = await deps.db.db
    .insertInto('users')
    .values({
      email,
      passwordHash: await passwordHash,
      displayName: email.split('@')[0]!,
      role,
      groupName: opts.group ?? 'default',
      createdAt: now,
      updatedAt: now,
    })
    .executeTakeFirstOrThrow();
  return { id: insertedId(res), email, password: TEST_PASSWORD, role };
}

export interface SignedInUser {
  user: SessionUser & { password: string };
  /** the raw session token (what the cookie carries) */
  token: string;
  ctx: Context;
  caller: Caller;
}

/** Seeds a user of `role`, signs them in with a real session and returns a tRPC caller acting as them. */
export async function createUserWithSession(
  deps: ControlPlaneDeps,
  role: 'user' | 'admin' = 'user',
): Promise<SignedInUser> {
  const seeded = await seedUser(deps, role);
  const { token } = await createSession(deps, seeded.id, { ip: '127.0.0.1', userAgent: 'vitest' });
  const ctx = await contextFor(deps, token);
  if (!ctx.user) throw new Error(`harness: the session of ${seeded.email} did not resolve to a user`);
  return { user: { ...ctx.user, password: seeded.password }, token, ctx, caller: createCaller(ctx) };
}

/** A caller with no session cookie. */
export function anonCaller(deps: ControlPlaneDeps): Caller {
  return createCaller({
    deps,
    user: undefined,
    ip: '127.0.0.1',
    userAgent: 'vitest',
    resHeaders: new Headers(),
    secure: false,
    csrfHeader: true,
  });
}

/** The current snapshot version (`config_version.version`). */
export async function configVersion(deps: Pick<ControlPlaneDeps, 'db'>): Promise<number> {
  const row = await deps.db.db
    .selectFrom('configVersion')
    .select('version')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

/** The `config_changes` rows after `version`, oldest first, with their JSON decoded. */
export async function configChangesSince(
  deps: Pick<ControlPlaneDeps, 'db'>,
  version: number,
): Promise<{ version: number; changes: ConfigChange[] }[]> {
  const rows = await deps.db.db
    .selectFrom('configChanges')
    .select(['version', 'changes'])
    .where('version', '>', version)
    .orderBy('version')
    .execute();
  return rows.map((r) => ({ version: Number(r.version), changes: JSON.parse(r.changes) as ConfigChange[] }));
}

/**
 * Runs a config write and returns its result plus the version delta and the changes recorded, so
 * a test can assert "exactly one bump, naming this entity".
 */
export async function trackConfig<T>(
  deps: Pick<ControlPlaneDeps, 'db'>,
  fn: () => Promise<T>,
): Promise<{ result: T; bumps: number; changes: { version: number; changes: ConfigChange[] }[] }> {
  const before = await configVersion(deps);
  const result = await fn();
  const after = await configVersion(deps);
  return { result, bumps: after - before, changes: await configChangesSince(deps, before) };
}

/** Like {@link trackConfig} for a write expected to fail: returns the error and the version delta. */
export async function trackFailedConfig(
  deps: Pick<ControlPlaneDeps, 'db'>,
  fn: () => Promise<unknown>,
): Promise<{ error: unknown; bumps: number }> {
  const before = await configVersion(deps);
  let error: unknown;
  try {
    await fn();
  } catch (err) {
    error = err;
  }
  if (error === undefined) throw new Error('expected the write to fail');
  return { error, bumps: (await configVersion(deps)) - before };
}
