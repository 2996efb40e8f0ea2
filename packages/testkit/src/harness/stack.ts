import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDb, migrateToLatest } from '@tollgate/shared/db/index.ts';
import { freePort, waitForHttp } from './ports.ts';
import { checkRedis, createTestDatabase, testRedisUrl } from './services.ts';

const root = resolve(import.meta.dirname, '../../../..');
/** The built site; TOLLGATE_TEST_SITE_ENTRY points the tests at another build (e.g. a private copy). */
export const siteEntry =
  process.env.TOLLGATE_TEST_SITE_ENTRY ?? join(root, 'packages/ui/.output/server/index.mjs');
const relayEntry = join(root, 'packages/relay/src/main.ts');

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** everything it printed, for failure messages */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns a Node process with the test's environment and keeps its output (cwd: the workspace root). */
export function spawnNode(
  name: string,
  args: string[],
  env: Record<string, string>,
  opts: { cwd?: string } = {},
): ManagedProcess {
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    name,
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export type StackMode = 'embedded' | 'production';

export interface Stack {
  mode: StackMode;
  siteUrl: string;
  relayUrl: string;
  admin: { email: string; password: string };
  env: Record<string, string>;
  site: ManagedProcess;
  relay: ManagedProcess;
  /** start another relay on the same database (scale-out tests) */
  addRelay(): Promise<{ url: string; process: ManagedProcess }>;
  stop(): Promise<void>;
}

/**
 * Starts site + relay as real processes: `embedded` on a fresh SQLite data dir with no Redis,
 * `production` on a fresh MariaDB database and the shared Redis.
 */
export interface StackOptions {
  /** false: models without a price are refused (billing tests set prices); default true */
  freeModels?: boolean;
  /** production mode: this MariaDB server instead of the shared one (a fresh database is still created on it) */
  mysqlUrl?: string;
  /** production mode: this Redis instead of the shared one */
  redisUrl?: string;
}

export async function startStack(
  mode: StackMode,
  extraEnv: Record<string, string> = {},
  opts: StackOptions = {},
): Promise<Stack> {
  if (!existsSync(siteEntry))
    throw new Error(`the site is not built (${siteEntry}); run pnpm test, which builds it`);
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-test-'));
  const admin = {
    email: `admin-${randomBytes(4).toString('hex')}@example.com`,
    password: randomBytes(12).toString('base64url'),
  };
  const env: Record<string, string> = {
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_USER_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    TOLLGATE_SESSION_SECRET: randomBytes(32).toString('base64url'),
    TOLLGATE_ADMIN_EMAIL: admin.email,
    TOLLGATE_ADMIN_PASSWORD: admin.password,
    TOLLGATE_LOG_LEVEL: 'warn',
    TOLLGATE_HOST: '127.0.0.1',
    // every test client signs in from 127.0.0.1: the per-IP sign-in limits are tested on their own
    TOLLGATE_AUTH_REGISTRATIONS_PER_HOUR: '100000',
    TOLLGATE_AUTH_LOGIN_FAILURES_PER_10MIN: '100000',
    ...extraEnv,
  };
  let dropDb: (() => Promise<void>) | undefined;
  if (mode === 'production') {
    const redisUrl = opts.redisUrl ?? testRedisUrl;
    await checkRedis(redisUrl);
    const db = await createTestDatabase(opts.mysqlUrl);
    dropDb = db.drop;
    env.TOLLGATE_SQL_DSN = db.dsn;
    env.TOLLGATE_REDIS_CONN_STRING = redisUrl;
    // a namespace of its own on the shared Redis: parallel stacks never see each other's keys
    env.TOLLGATE_REDIS_PREFIX = `${db.name}:`;
  }
  const handle = createDb({ sql_dsn: env.TOLLGATE_SQL_DSN, data_dir: dataDir });
  await migrateToLatest(handle);
  if (opts.freeModels !== false) {
    await handle.db
      .insertInto('settings')
      .values({ key: 'allow_free_models', value: 'true', updatedAt: Date.now() })
      .execute();
  }
  await handle.close();

  const sitePort = await freePort();
  const firstRelayPort = await freePort();
  const site = spawnNode('site', [siteEntry], {
    ...env,
    PORT: String(sitePort),
    HOST: '127.0.0.1',
    TOLLGATE_SITE_PORT: String(sitePort),
    // the portal docs page shows users this relay as the base URL
    TOLLGATE_RELAY_PORT: String(firstRelayPort),
    TOLLGATE_RELAY_PUBLIC_URL: env.TOLLGATE_RELAY_PUBLIC_URL ?? `http://127.0.0.1:${firstRelayPort}`,
  });
  const relays: ManagedProcess[] = [];
  const addRelay = async (fixedPort?: number) => {
    const port = fixedPort ?? (await freePort());
    const p = spawnNode(`relay-${relays.length + 1}`, [relayEntry], {
      ...env,
      TOLLGATE_RELAY_PORT: String(port),
    });
    relays.push(p);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/readyz`).catch((err) => {
      throw new Error(`${err.message}\n${p.output()}`);
    });
    return { url, process: p };
  };
  const siteUrl = `http://127.0.0.1:${sitePort}`;
  const [first] = await Promise.all([
    addRelay(firstRelayPort),
    waitForHttp(`${siteUrl}/login`).catch((err) => {
      throw new Error(`${err.message}\n${site.output()}`);
    }),
  ]);
  return {
    mode,
    siteUrl,
    relayUrl: first.url,
    admin,
    env,
    site,
    relay: first.process,
    addRelay,
    async stop() {
      await Promise.all([site.stop(), ...relays.map((r) => r.stop())]);
      await dropDb?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
