/**
 * `pnpm start [--demo] [--config FILE]`: migrates, creates the first admin (printed once), builds the
 * site when its sources changed, then runs relay + site (and, with --demo, the fake upstream and a
 * demo channel) until Ctrl-C. Embedded default: SQLite under ./data, no Redis.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bootstrap, closeControlPlaneDeps, createControlPlaneDeps } from '@tollgate/control-plane';
import { createChannel, listChannels } from '@tollgate/control-plane/modules/channels/channels.service.ts';
import { listPrices, setPrice } from '@tollgate/control-plane/modules/prices/prices.service.ts';
import { getSettings, setSetting } from '@tollgate/control-plane/modules/settings/settings.service.ts';
import { type Config, ConfigError, loadConfig } from '@tollgate/shared/config.ts';

const argv = process.argv.slice(2);
const demo = argv.includes('--demo');
const passArgs = argv.filter((a) => a !== '--demo');
const node = process.execPath;

let cfg: Config;
try {
  cfg = loadConfig({ argv: passArgs, env: process.env });
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.output' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const siteEntry = resolve('packages/ui/.output/server/index.mjs');
const sources = ['packages/ui', 'packages/control-plane/src', 'packages/shared/src', 'migrations'];
if (
  !existsSync(siteEntry) ||
  Math.max(...sources.map(newest)) > statSync(siteEntry).mtimeMs ||
  argv.includes('--rebuild')
) {
  console.log('building the site …');
  const r = spawnSync(
    process.execPath,
    [resolve('packages/ui/node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: 'packages/ui',
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const deps = createControlPlaneDeps({ ...cfg, log_level: 'warn' }, { name: 'start' });
await bootstrap(deps);

const children: ChildProcess[] = [];
// children get the secrets loaded (or generated) here, so every process signs and encrypts alike
const secretEnv = {
  TOLLGATE_USER_TOKEN_SECRET: cfg.user_token_secret,
  TOLLGATE_SESSION_SECRET: cfg.session_secret,
};
function run(name: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(node, args, { stdio: 'inherit', env: { ...process.env, ...secretEnv, ...env } });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  let left = children.length;
  if (left === 0) process.exit(code);
  for (const c of children) c.on('exit', () => --left === 0 && process.exit(code));
  setTimeout(() => process.exit(code), 35_000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

if (demo) {
  const port = Number(process.env.TOLLGATE_DEMO_UPSTREAM_PORT ?? 3002);
  run('fake upstream', [
    'packages/testkit/src/fake-upstream/main.ts',
    '--port',
    String(port),
    '--chunk-delay-ms',
    '30',
  ]);
  // demo prices (quota units per 1M tokens; 500,000 units = $1) and a $5 welcome credit for new accounts
  for (const [model, input, output] of [
    ['gpt-4o-mini', 75_000, 300_000],
    ['gpt-4o', 1_250_000, 5_000_000],
    ['text-embedding-3-small', 10_000, 0],
  ] as const) {
    if (!(await listPrices(deps)).some((p) => p.model === model))
      await setPrice(deps, { model, inputPrice: input, outputPrice: output });
  }
  if ((await getSettings(deps)).new_user_quota === 0) await setSetting(deps, 'new_user_quota', 2_500_000);
  const existing = (await listChannels(deps)).find((c) => c.name === 'demo (fake upstream)');
  if (!existing) {
    await createChannel(deps, {
      name: 'demo (fake upstream)',
      baseUrl: `http://127.0.0.1:${port}`,
      keys: ['sk-demo-upstream-key'],
      models: ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'],
      testModel: 'gpt-4o-mini',
    });
  }
}
await closeControlPlaneDeps(deps);

run('relay', ['packages/relay/src/main.ts', ...passArgs]);
run('site', [siteEntry, ...passArgs], {
  PORT: String(cfg.site_port),
  HOST: cfg.host,
  NODE_ENV: 'production',
});

const relayUrl = cfg.relay_public_url ?? `http://localhost:${cfg.relay_port}`;
console.log(
  `\n  Tollgate is starting:\n    site:  http://localhost:${cfg.site_port}\n    relay: ${relayUrl}/v1${demo ? '\n    demo:  a channel to the fake upstream serves gpt-4o-mini, gpt-4o' : ''}\n`,
);
