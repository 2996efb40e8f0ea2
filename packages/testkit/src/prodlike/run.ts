import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDb, migrateToLatest } from '@tollgate/shared/db/index.ts';
import { Agent, request, fetch as undiciFetch } from 'undici';
import { freePort } from '../harness/ports.ts';
import type { ManagedProcess } from '../harness/stack.ts';
import { inspectNginx, nginxMainConf, readNginxTemplate, renderNginxConf } from './nginx.ts';
import { spawnManaged } from './processes.ts';
import { type LocalTls, localTls } from './tls.ts';

const root = resolve(import.meta.dirname, '../../../..');
export const defaultRelayEntry = join(root, 'packages/relay/src/main.ts');
export const defaultSiteEntry =
  process.env.TOLLGATE_TEST_SITE_ENTRY ?? join(root, 'packages/ui/.output/server/index.mjs');

export interface ProdlikeOptions {
  /** MariaDB/MySQL DSN of an existing database */
  sqlDsn: string;
  /** Redis URL */
  redisUrl: string;
  /** number of relays behind Nginx (default 2) */
  relays?: number;
  /** where the certificate, nginx.conf, logs and temp files go; default a fresh temp dir removed by stop() */
  workDir?: string;
  /** public host name (server_name, certificate, public URLs); default localhost */
  domain?: string;
  /** address Nginx listens on (default 127.0.0.1) */
  listenHost?: string;
  /** Nginx ports; default free ports */
  httpPort?: number;
  httpsPort?: number;
  /** relay ports (one per relay) and site port; default free ports */
  relayPorts?: number[];
  sitePort?: number;
  /** extra environment of every Tollgate process (TOLLGATE_* keys, secrets, admin …) */
  env?: Record<string, string>;
  /** print every process's output prefixed with its name */
  echo?: boolean;
  /** run the children in their own process groups (a CLI stops them itself on Ctrl-C) */
  detached?: boolean;
  relayEntry?: string;
  siteEntry?: string;
}

export interface ProdlikeRelay {
  index: number;
  port: number;
  /** direct http URL of this relay (bypassing Nginx) */
  url: string;
  process: ManagedProcess;
}

export interface Prodlike {
  /** https://<listen host>:<https port>: the way in for clients (Nginx) */
  url: string;
  /** the same with the public host name, as users would type it */
  publicUrl: string;
  /** http://…:<http port> (redirects to HTTPS) */
  httpUrl: string;
  /** direct http URL of the site (bypassing Nginx) */
  siteUrl: string;
  relays: ProdlikeRelay[];
  site: ManagedProcess;
  nginx: ManagedProcess;
  tls: LocalTls;
  /** an undici dispatcher that trusts the local CA (for this process's clients only) */
  dispatcher: Agent;
  /** `fetch` through that dispatcher (e.g. the openai client's `fetch` option); TLS is verified */
  fetch: typeof fetch;
  /** the environment every Tollgate process got */
  env: Record<string, string>;
  workDir: string;
  /** (re)starts relay `index` on its port, e.g. after a kill; resolves when it is ready */
  startRelay(index: number): Promise<ProdlikeRelay>;
  /** Nginx (graceful), then relays and site (SIGTERM: in-flight requests finish, settlements are written) */
  stop(): Promise<void>;
}

/** Polls `url` until it answers `status`; `dispatcher` for HTTPS with the local CA. */
async function waitFor(
  url: string,
  o: { dispatcher?: Agent; status?: number; timeoutMs?: number; proc?: ManagedProcess } = {},
): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let last = '';
  while (Date.now() < deadline) {
    if (o.proc && (o.proc.child.exitCode !== null || o.proc.child.signalCode !== null))
      throw new Error(
        `${o.proc.name} exited (${o.proc.child.exitCode ?? o.proc.child.signalCode}):\n${o.proc.output()}`,
      );
    try {
      const res = await request(url, { dispatcher: o.dispatcher });
      await res.body.dump();
      if (res.statusCode === (o.status ?? 200)) return;
      last = `status ${res.statusCode}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready: ${last}${o.proc ? `\n${o.proc.output()}` : ''}`);
}

/**
 * The production topology on one machine without containers: migrations, N relays and the site on
 * the given MariaDB + Redis, Debian's Nginx in front with a locally signed certificate, rendered from
 * the same template as the compose deployment.
 */
export async function startProdlike(o: ProdlikeOptions): Promise<Prodlike> {
  const relayEntry = o.relayEntry ?? defaultRelayEntry;
  const siteEntry = o.siteEntry ?? defaultSiteEntry;
  if (!existsSync(siteEntry))
    throw new Error(`the site is not built (${siteEntry}): npx -y pnpm@10 --filter @tollgate/ui build`);
  const nginxBin = inspectNginx();
  const tempWorkDir = !o.workDir;
  const workDir = resolve(o.workDir ?? mkdtempSync(join(tmpdir(), 'tollgate-prodlike-')));
  mkdirSync(workDir, { recursive: true });
  // Nginx workers run as nobody when the master is root: they need to reach the temp dirs
  chmodSync(workDir, 0o755);
  for (const d of ['logs', 'temp', 'data']) mkdirSync(join(workDir, d), { recursive: true });
  chmodSync(join(workDir, 'temp'), 0o777);

  const domain = o.domain ?? 'localhost';
  const listenHost = o.listenHost ?? '127.0.0.1';
  const count = o.relays ?? 2;
  const [httpPort, httpsPort, sitePort] = [
    o.httpPort ?? (await freePort()),
    o.httpsPort ?? (await freePort()),
    o.sitePort ?? (await freePort()),
  ];
  const relayPorts = o.relayPorts ?? [];
  while (relayPorts.length < count) relayPorts.push(await freePort());

  const tls = localTls(join(workDir, 'tls'), [...new Set([domain, 'localhost', '127.0.0.1'])]);
  const dispatcher = new Agent({ connect: { ca: tls.ca }, connections: 256 });
  const hostForUrl = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
  const url = `https://${hostForUrl}:${httpsPort}`;
  const publicUrl = `https://${domain}${httpsPort === 443 ? '' : `:${httpsPort}`}`;

  const env: Record<string, string> = {
    NODE_ENV: 'production',
    TOLLGATE_DATA_DIR: join(workDir, 'data'),
    TOLLGATE_HOST: '127.0.0.1',
    TOLLGATE_TRUSTED_PROXIES: '127.0.0.1',
    TOLLGATE_RELAY_PUBLIC_URL: publicUrl,
    TOLLGATE_SITE_PUBLIC_URL: publicUrl,
    TOLLGATE_USER_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    TOLLGATE_SESSION_SECRET: randomBytes(32).toString('base64url'),
    ...o.env,
    TOLLGATE_SQL_DSN: o.sqlDsn,
    TOLLGATE_REDIS_CONN_STRING: o.redisUrl,
  };

  // migrations first, as the compose `migrate` service and the VM's tollgate-migrate.service do
  const handle = createDb({ sql_dsn: o.sqlDsn, data_dir: env.TOLLGATE_DATA_DIR! });
  try {
    await migrateToLatest(handle);
  } finally {
    await handle.close();
  }

  const spawnOpts = { cwd: root, echo: o.echo, detached: o.detached };
  const relays: ProdlikeRelay[] = [];
  const startRelay = async (index: number): Promise<ProdlikeRelay> => {
    const port = relayPorts[index];
    if (port === undefined) throw new Error(`no relay ${index}`);
    const old = relays[index];
    if (old && old.process.child.exitCode === null && old.process.child.signalCode === null)
      throw new Error(`relay ${index} is still running`);
    const proc = spawnManaged(
      `relay-${index + 1}`,
      process.execPath,
      [relayEntry],
      {
        ...env,
        TOLLGATE_RELAY_PORT: String(port),
      },
      spawnOpts,
    );
    const r = { index, port, url: `http://127.0.0.1:${port}`, process: proc };
    relays[index] = r;
    await waitFor(`${r.url}/readyz`, { proc });
    return r;
  };

  const site = spawnManaged(
    'site',
    process.execPath,
    [siteEntry],
    {
      ...env,
      PORT: String(sitePort),
      HOST: '127.0.0.1',
      TOLLGATE_SITE_PORT: String(sitePort),
    },
    // the site has nothing to drain (no streams; settlements are the relays'); its HTTP server closes
    // within 5 s, but open Redis/SQL handles keep the process alive after that: killed at 6 s
    { ...spawnOpts, killAfterMs: 6_000 },
  );
  const siteUrl = `http://127.0.0.1:${sitePort}`;
  let nginx: ManagedProcess | undefined;
  const stopAll = async () => {
    await nginx?.stop('SIGQUIT');
    await Promise.all([site.stop('SIGTERM'), ...relays.map((r) => r.process.stop('SIGTERM'))]);
    await dispatcher.close();
  };
  try {
    await Promise.all([
      waitFor(`${siteUrl}/login`, { proc: site }),
      ...relayPorts.slice(0, count).map((_p, i) => startRelay(i)),
    ]);

    const siteConfPath = join(workDir, 'tollgate.conf');
    writeFileSync(
      siteConfPath,
      renderNginxConf(readNginxTemplate(), {
        domain,
        relays: relayPorts.slice(0, count).map((p) => `127.0.0.1:${p}`),
        site: `127.0.0.1:${sitePort}`,
        httpListen: `${listenHost}:${httpPort}`,
        httpsListen: `${listenHost}:${httpsPort}`,
        httpsPublicPort: httpsPort,
        tlsDir: tls.dir,
        http2: nginxBin.http2,
      }),
    );
    const confPath = join(workDir, 'nginx.conf');
    writeFileSync(confPath, nginxMainConf(workDir, siteConfPath));
    const nginxArgs = ['-p', workDir, '-c', confPath, '-e', join(workDir, 'logs/error.log')];
    const test = spawnManaged('nginx -t', nginxBin.path, [...nginxArgs, '-t'], {});
    const code = await new Promise<number | null>((r) => test.child.once('exit', (c) => r(c)));
    if (code !== 0) throw new Error(`nginx -t rejected ${confPath}:\n${test.output()}`);
    nginx = spawnManaged(
      'nginx',
      nginxBin.path,
      [...nginxArgs, '-g', 'daemon off;'],
      {},
      {
        ...spawnOpts,
        killAfterMs: 10_000,
      },
    );
    await waitFor(`${url}/login`, { dispatcher, proc: nginx, timeoutMs: 20_000 });
  } catch (err) {
    await stopAll();
    throw err;
  }

  return {
    url,
    publicUrl,
    httpUrl: `http://${hostForUrl}:${httpPort}`,
    siteUrl,
    relays,
    site,
    nginx: nginx!,
    tls,
    dispatcher,
    fetch: ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
      undiciFetch(input as Parameters<typeof undiciFetch>[0], {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher,
      })) as unknown as typeof fetch,
    env,
    workDir,
    startRelay,
    async stop() {
      await stopAll();
      if (tempWorkDir) rmSync(workDir, { recursive: true, force: true });
    },
  };
}
