/**
 * `pnpm prodlike`: the production topology on this machine without containers — migrations, N relays
 * and the site on your MariaDB/MySQL + Redis, Nginx in front with a locally signed certificate,
 * rendered from deploy/nginx/tollgate.conf.template (the compose template). Ctrl-C stops everything.
 *
 * `node scripts/prodlike.ts nginx-conf …` prints that Nginx config for a VM (see --help).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type PrivateMariaDb,
  type PrivateRedis,
  startPrivateMariaDb,
  startPrivateRedis,
} from '../packages/testkit/src/harness/private-services.ts';
import { inspectNginx, readNginxTemplate, renderNginxConf } from '../packages/testkit/src/prodlike/nginx.ts';
import { type Prodlike, startProdlike } from '../packages/testkit/src/prodlike/run.ts';

const usage = `Usage:
  npx -y pnpm@10 prodlike [options]
      Starts migrations, relays, the site and Nginx (HTTPS) against your database and Redis.

      Required (flag or environment):
        --sql-dsn DSN        or TOLLGATE_SQL_DSN, e.g. mysql://tollgate:PASS@127.0.0.1:3306/tollgate
                             (the database must exist, utf8mb4 / utf8mb4_bin)
        --redis URL          or TOLLGATE_REDIS_CONN_STRING, e.g. redis://127.0.0.1:6379/0
      or:
        --private-services   start a throwaway MariaDB + Redis of its own (data removed on exit)

      Options:
        --relays N           relays behind Nginx (default 2)
        --relay-port P       first relay port (default 3000; the next ones P+10, P+20, …)
        --site-port P        site port (default 3001)
        --http-port P        Nginx HTTP port, redirects to HTTPS (default 8080)
        --https-port P       Nginx HTTPS port (default 8443)
        --listen ADDR        address Nginx listens on (default 127.0.0.1)
        --domain NAME        public host name: server_name, certificate, public URLs (default localhost)
        --work-dir DIR       certificate, nginx.conf, logs, generated secrets (default ./data/prodlike)
      Every other setting comes from TOLLGATE_* variables (config.example.yaml), passed to every process.
      Secrets: TOLLGATE_USER_TOKEN_SECRET / TOLLGATE_SESSION_SECRET, else generated once into
      <work-dir>/secrets.json.

  node_modules/node/bin/node scripts/prodlike.ts nginx-conf --domain NAME --relay HOST:PORT [--relay …]
      --site HOST:PORT [--tls-dir DIR] [--http2 on|listen|off] [--out FILE]
      Prints deploy/nginx/tollgate.conf.template rendered for a VM (default --tls-dir /etc/nginx/tls;
      --http2 defaults to what the local /usr/sbin/nginx supports, else on).
`;

function fail(message: string): never {
  console.error(`prodlike: ${message}\n\n${usage}`);
  process.exit(2);
}

function port(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name} must be a port number (1-65535), got "${v}"`);
  return n;
}

const argv = process.argv.slice(2);
if (argv[0] === 'nginx-conf') {
  let a: ReturnType<typeof parseNginxArgs>;
  try {
    a = parseNginxArgs(argv.slice(1));
  } catch (err) {
    fail((err as Error).message);
  }
  const v = a.values;
  if (!v.domain) fail('nginx-conf needs --domain');
  if (!v.relay?.length) fail('nginx-conf needs at least one --relay HOST:PORT');
  if (!v.site) fail('nginx-conf needs --site HOST:PORT');
  let http2 = v.http2 as 'on' | 'listen' | 'off' | undefined;
  if (http2 && !['on', 'listen', 'off'].includes(http2)) fail('--http2 is on, listen or off');
  if (!http2) {
    try {
      http2 = inspectNginx().http2;
    } catch {
      http2 = 'on';
    }
  }
  const conf = renderNginxConf(readNginxTemplate(), {
    domain: v.domain,
    relays: v.relay,
    site: v.site,
    tlsDir: v['tls-dir'],
    http2,
  });
  if (v.out) writeFileSync(v.out, conf);
  else process.stdout.write(conf);
  process.exit(0);
}

function parseNginxArgs(args: string[]) {
  return parseArgs({
    args,
    options: {
      domain: { type: 'string' },
      relay: { type: 'string', multiple: true },
      site: { type: 'string' },
      'tls-dir': { type: 'string' },
      http2: { type: 'string' },
      out: { type: 'string' },
    },
  });
}

let parsed: ReturnType<typeof parseMain>;
function parseMain() {
  return parseArgs({
    args: argv,
    options: {
      'sql-dsn': { type: 'string' },
      redis: { type: 'string' },
      'private-services': { type: 'boolean' },
      relays: { type: 'string' },
      'relay-port': { type: 'string' },
      'site-port': { type: 'string' },
      'http-port': { type: 'string' },
      'https-port': { type: 'string' },
      listen: { type: 'string' },
      domain: { type: 'string' },
      'work-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
try {
  parsed = parseMain();
} catch (err) {
  fail((err as Error).message);
}
const v = parsed.values;
if (v.help) {
  console.log(usage);
  process.exit(0);
}
const relays = v.relays === undefined ? 2 : Number(v.relays);
if (!Number.isInteger(relays) || relays < 1 || relays > 20) fail(`--relays must be 1-20, got "${v.relays}"`);
const firstRelay = port(v['relay-port'], '--relay-port', 3000);
const relayPorts = Array.from({ length: relays }, (_, i) => firstRelay + 10 * i);
const sitePort = port(v['site-port'], '--site-port', 3001);
const httpPort = port(v['http-port'], '--http-port', 8080);
const httpsPort = port(v['https-port'], '--https-port', 8443);
const workDir = resolve(v['work-dir'] ?? 'data/prodlike');

let sqlDsn = v['sql-dsn'] ?? process.env.TOLLGATE_SQL_DSN;
let redisUrl = v.redis ?? process.env.TOLLGATE_REDIS_CONN_STRING;
if (!v['private-services'] && (!sqlDsn || !redisUrl)) {
  fail(
    [
      !sqlDsn ? 'a MariaDB/MySQL database is required: --sql-dsn or TOLLGATE_SQL_DSN' : '',
      !redisUrl ? 'a Redis is required: --redis or TOLLGATE_REDIS_CONN_STRING' : '',
      '(or --private-services for a throwaway MariaDB + Redis started here)',
    ]
      .filter(Boolean)
      .join('\n          '),
  );
}

// every TOLLGATE_* setting of this shell reaches every process; secrets kept across runs
const env: Record<string, string> = {};
for (const [k, val] of Object.entries(process.env))
  if (k.startsWith('TOLLGATE_') && val !== undefined) env[k] = val;
mkdirSync(workDir, { recursive: true });
const secretsFile = resolve(workDir, 'secrets.json');
if (!env.TOLLGATE_USER_TOKEN_SECRET || !env.TOLLGATE_SESSION_SECRET) {
  let saved: Record<string, string> = {};
  if (existsSync(secretsFile))
    saved = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
  saved.TOLLGATE_USER_TOKEN_SECRET ??= randomBytes(36).toString('base64');
  saved.TOLLGATE_SESSION_SECRET ??= randomBytes(36).toString('base64');
  writeFileSync(secretsFile, JSON.stringify(saved, null, 2), { mode: 0o600 });
  env.TOLLGATE_USER_TOKEN_SECRET ??= saved.TOLLGATE_USER_TOKEN_SECRET;
  env.TOLLGATE_SESSION_SECRET ??= saved.TOLLGATE_SESSION_SECRET;
}

let mariadb: PrivateMariaDb | undefined;
let redis: PrivateRedis | undefined;
let stack: Prodlike | undefined;
let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nprodlike: stopping (Nginx, then relays and site: in-flight requests finish) …');
    await stack?.stop().catch((err: Error) => console.error(err.message));
    await Promise.all([mariadb?.destroy(), redis?.destroy()]).catch((err: Error) =>
      console.error(err.message),
    );
    console.log('prodlike: stopped');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  if (v['private-services']) {
    console.log('prodlike: starting a throwaway MariaDB and Redis …');
    [mariadb, redis] = await Promise.all([startPrivateMariaDb(), startPrivateRedis()]);
    sqlDsn = mariadb.url;
    redisUrl = redis.url;
  }
  console.log(`prodlike: migrating, then starting ${relays} relays, the site and Nginx …`);
  stack = await startProdlike({
    sqlDsn: sqlDsn!,
    redisUrl: redisUrl!,
    relays,
    relayPorts,
    sitePort,
    httpPort,
    httpsPort,
    listenHost: v.listen ?? '127.0.0.1',
    domain: v.domain ?? 'localhost',
    workDir,
    env,
    echo: true,
    detached: true,
  });
} catch (err) {
  console.error(`prodlike: start failed: ${(err as Error).message}`);
  await stop(1);
}
const s = stack!;
for (const p of [s.site, s.nginx, ...s.relays.map((r) => r.process)]) {
  p.child.once('exit', (c, sig) => {
    if (!stopping) {
      console.error(`prodlike: ${p.name} exited (${sig ?? c}); stopping everything`);
      void stop(1);
    }
  });
}
console.log(`
  Tollgate (production-like) is running:
    site (Admin + Portal):  ${s.publicUrl}
    API base URL:           ${s.publicUrl}/v1   (relays ${s.relays.map((r) => `127.0.0.1:${r.port}`).join(', ')})
    HTTP → HTTPS:           http://${v.domain ?? 'localhost'}:${httpPort}
    CA to trust:            ${s.tls.caPath}   (curl --cacert ${s.tls.caPath} ${s.publicUrl}/login)
    work dir:               ${s.workDir}   (nginx.conf, tollgate.conf, logs/)
    database:               ${sqlDsn!.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}
    redis:                  ${redisUrl!.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}
  The first admin is printed once in the site's log above (or set TOLLGATE_ADMIN_EMAIL / TOLLGATE_ADMIN_PASSWORD).
  Ctrl-C stops everything.
`);
