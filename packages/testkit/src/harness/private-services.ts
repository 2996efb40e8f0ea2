import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '@tollgate/shared/db/index.ts';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { freePort } from './ports.ts';

/**
 * A MariaDB or Redis server of the test's own, as a real process on 127.0.0.1: a test may stop,
 * start or kill it (outage tests) without touching the shared instances at :3306 and :6379.
 */

export interface PrivateMariaDb {
  port: number;
  /** mysql://root@127.0.0.1:<port>/tollgate (the database exists) */
  url: string;
  /** server url without a database (for createTestDatabase) */
  serverUrl: string;
  /** SIGTERM; resolves when the process has exited and the port is closed */
  stop(): Promise<void>;
  /** same datadir and port; resolves when it accepts connections */
  start(): Promise<void>;
  /** stop + remove the datadir */
  destroy(): Promise<void>;
  /** the server's error log, for failure messages */
  log(): string;
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGSTOP: the server stops answering but keeps its connections open (a hung or partitioned Redis) */
  pause(): void;
  /** SIGCONT after pause() */
  resume(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
  log(): string;
}

const mariadbd = process.env.TOLLGATE_TEST_MARIADBD ?? '/usr/sbin/mariadbd';
const installDb = process.env.TOLLGATE_TEST_MARIADB_INSTALL_DB ?? '/usr/bin/mariadb-install-db';
const redisServer = process.env.TOLLGATE_TEST_REDIS_SERVER ?? '/usr/bin/redis-server';

/** Options shared by mariadb-install-db and mariadbd (the redo log size must agree). */
const innodbOptions = ['--innodb-log-file-size=8M', '--innodb-data-file-path=ibdata1:10M:autoextend'];

// Every server this process started: killed if the test process exits without stopping them.
const running = new Set<ChildProcess>();
const cleanupDirs = new Set<string>();
let exitHook = false;
function track(child: ChildProcess) {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
      for (const d of cleanupDirs) rmSync(d, { recursive: true, force: true });
    });
  }
}

/** Initialising a datadir takes ~1 s: done once per process, then copied for every server. */
let template: string | undefined;
function datadirTemplate(): string {
  if (template) return template;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-mariadb-template-'));
  cleanupDirs.add(dir);
  const data = join(dir, 'data');
  // its own tmpdir: bootstraps running at once in /tmp collide on temporary table names
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--tmpdir=${tmp}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...innodbOptions,
  ];
  const r = spawnSync(installDb, args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `${installDb} failed (${r.status ?? r.signal}): ${r.error?.message ?? ''}\n${r.stdout}\n${r.stderr}`,
    );
  template = data;
  return data;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server process that can be stopped and started again with the same arguments. */
function restartable(name: string, cmd: string, args: string[], logLimit = 100_000) {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = '';
  return {
    log: () => out,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    spawn() {
      const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (b: Buffer) => {
        out += b.toString();
        if (out.length > logLimit) out = out.slice(-logLimit / 2);
      };
      c.stdout!.on('data', keep);
      c.stderr!.on('data', keep);
      exited = new Promise((r) => c.once('exit', () => r()));
      c.once('error', (err) => {
        out += `\n${name}: ${err.message}`;
      });
      track(c);
      child = c;
      return c;
    },
    /** sends a signal that does not end the process (SIGSTOP / SIGCONT: a server that goes silent) */
    signal(signal: NodeJS.Signals) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      c.kill(signal);
      const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function waitPortClosed(port: number, what: string) {
  const deadline = Date.now() + 10_000;
  while (await portOpen(port)) {
    if (Date.now() > deadline) throw new Error(`${what}: port ${port} still open after the process exited`);
    await sleep(50);
  }
}

/** Starts a MariaDB server of its own (fresh datadir, 127.0.0.1:<free port>) with database `tollgate`. */
export async function startPrivateMariaDb(): Promise<PrivateMariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-mariadb-'));
  cleanupDirs.add(dir);
  const data = join(dir, 'data');
  cpSync(datadirTemplate(), data, { recursive: true });
  mkdirSync(join(dir, 'tmp'));
  const port = await freePort();
  const proc = restartable('mariadbd', mariadbd, [
    '--no-defaults',
    `--datadir=${data}`,
    '--user=root',
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mariadb.sock')}`,
    `--pid-file=${join(dir, 'mariadb.pid')}`,
    `--tmpdir=${join(dir, 'tmp')}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    '--performance-schema=OFF',
    '--innodb-buffer-pool-size=64M',
    '--max-connections=500',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_bin',
    ...innodbOptions,
  ]);
  const serverUrl = `mysql://root@127.0.0.1:${port}/`;
  const url = `mysql://root@127.0.0.1:${port}/tollgate`;

  const start = async () => {
    if (proc.running()) return;
    const child = proc.spawn();
    const deadline = Date.now() + 30_000;
    let last = '';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`mariadbd exited (${child.exitCode ?? child.signalCode}):\n${proc.log()}`);
      if (await portOpen(port)) {
        const h = createDb({ sql_dsn: serverUrl, data_dir: '' }, { poolSize: 1 });
        try {
          await sql`select 1`.execute(h.db);
          return;
        } catch (err) {
          last = (err as Error).message;
        } finally {
          await h.close();
        }
      }
      await sleep(50);
    }
    throw new Error(`mariadbd on ${port} did not accept connections: ${last}\n${proc.log()}`);
  };
  const stop = async () => {
    await proc.kill('SIGTERM');
    await waitPortClosed(port, 'mariadbd');
  };

  await start();
  const h = createDb({ sql_dsn: serverUrl, data_dir: '' }, { poolSize: 1 });
  try {
    await sql`create database tollgate character set utf8mb4 collate utf8mb4_bin`.execute(h.db);
  } finally {
    await h.close();
  }
  return {
    port,
    url,
    serverUrl,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
      cleanupDirs.delete(dir);
    },
    log: proc.log,
  };
}

/**
 * Starts a Redis server of its own on 127.0.0.1:<free port>. `persist` (default true): append-only
 * file with fsync every second in its own dir, so stop/start keeps the data like a production Redis.
 */
export async function startPrivateRedis(opts: { persist?: boolean } = {}): Promise<PrivateRedis> {
  if (!existsSync(redisServer)) throw new Error(`${redisServer} is not installed`);
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'));
  cleanupDirs.add(dir);
  const port = await freePort();
  const persist = opts.persist ?? true;
  const proc = restartable('redis-server', redisServer, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    persist ? 'yes' : 'no',
    '--appendfsync',
    'everysec',
    '--daemonize',
    'no',
    '--protected-mode',
    'no',
    '--logfile',
    '',
  ]);
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    if (proc.running()) return;
    const child = proc.spawn();
    const deadline = Date.now() + 20_000;
    let last = '';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}):\n${proc.log()}`);
      if (await portOpen(port)) {
        const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
        try {
          await r.connect();
          // answers LOADING while it replays the append-only file
          if ((await r.ping()) === 'PONG') return;
        } catch (err) {
          last = (err as Error).message;
        } finally {
          r.disconnect();
        }
      }
      await sleep(30);
    }
    throw new Error(`redis-server on ${port} did not answer: ${last}\n${proc.log()}`);
  };
  const stop = async () => {
    await proc.kill('SIGTERM');
    await waitPortClosed(port, 'redis-server');
  };
  await start();
  return {
    port,
    url,
    start,
    stop,
    pause: () => proc.signal('SIGSTOP'),
    resume: () => proc.signal('SIGCONT'),
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
      cleanupDirs.delete(dir);
    },
    log: proc.log,
  };
}
