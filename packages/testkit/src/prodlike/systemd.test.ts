import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configSchema, loadConfig } from '@tollgate/shared/config.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const root = resolve(import.meta.dirname, '../../../..');
const unitsDir = join(root, 'deploy/systemd');
/** where docs/deployment.md installs the checkout */
const installDir = '/opt/tollgate';

type Unit = Record<string, Record<string, string[]>>;

/** A systemd unit file as section → key → values (a key may repeat). */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = head[1]!;
      unit[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !section) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq).trim();
    const sec = unit[section] ?? {};
    unit[section] = sec;
    sec[key] = [...(sec[key] ?? []), line.slice(eq + 1).trim()];
  }
  return unit;
}

const units = Object.fromEntries(
  readdirSync(unitsDir)
    .filter((f) => f.endsWith('.service'))
    .map((f) => [f, parseUnit(readFileSync(join(unitsDir, f), 'utf8'))]),
);
const one = (u: Unit | undefined, key: string) => u?.Service?.[key]?.at(-1);

/** The repository path an absolute path under the install dir stands for. */
const inRepo = (p: string) => join(root, p.replace(`${installDir}/`, ''));

describe('deploy/systemd example units', () => {
  it('ships the migrate, site and templated relay units', () => {
    expect(Object.keys(units).sort()).toEqual([
      'tollgate-migrate.service',
      'tollgate-relay@.service',
      'tollgate-site.service',
    ]);
  });

  it.each(Object.keys(units))('%s is hardened and reads /etc/tollgate/tollgate.env', (name) => {
    const u = units[name]!;
    expect(one(u, 'User')).toBe('tollgate');
    expect(one(u, 'Group')).toBe('tollgate');
    expect(one(u, 'NoNewPrivileges')).toBe('yes');
    expect(one(u, 'ProtectSystem')).toBe('strict');
    expect(one(u, 'ReadWritePaths')).toBe('-/var/lib/tollgate');
    expect(one(u, 'StateDirectory')).toBe('tollgate');
    expect(u.Service?.Environment).toContain('TOLLGATE_DATA_DIR=/var/lib/tollgate');
    expect(one(u, 'CapabilityBoundingSet')).toBe('');
    expect(one(u, 'EnvironmentFile')).toBe('/etc/tollgate/tollgate.env');
    expect(one(u, 'WorkingDirectory')).toBe(installDir);
    // V8 compiles code at run time: W^X protection would kill every Node process
    expect(u.Service?.MemoryDenyWriteExecute).toBeUndefined();
  });

  it.each(Object.keys(units))(
    '%s starts the pinned Node 24 on a file of the repository layout in docs/deployment.md',
    (name) => {
      const [bin, script, ...args] = one(units[name], 'ExecStart')!.split(/\s+/);
      expect(bin).toBe(`${installDir}/node_modules/node/bin/node`);
      expect(existsSync(inRepo(bin!))).toBe(true);
      const docs = readFileSync(join(root, 'docs/deployment.md'), 'utf8');
      if (script === 'packages/relay/dist/tollgate-relay.mjs') {
        // built on the VM by `pnpm --filter @tollgate/relay build` (the same file the Dockerfile ships)
        expect(readFileSync(join(root, 'packages/relay/build.ts'), 'utf8')).toContain(
          'dist/tollgate-relay.mjs',
        );
        expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toContain(script);
        expect(docs).toContain(script);
      } else {
        expect(existsSync(join(root, script!)), `${script} exists`).toBe(true);
      }
      if (name === 'tollgate-migrate.service') {
        // the same command as the compose `migrate` service
        const compose = parseYaml(readFileSync(join(root, 'compose.yaml'), 'utf8'), { merge: true }) as {
          services: { migrate: { command: string[] } };
        };
        expect(['node', script, ...args]).toEqual(compose.services.migrate.command);
      }
      if (name === 'tollgate-site.service') expect(script).toBe('packages/ui/.output/server/index.mjs');
    },
  );

  it('relays are one instance per port, stopped by SIGTERM with time for the drain and the last write', () => {
    const relay = units['tollgate-relay@.service']!;
    expect(relay.Service?.Environment).toContain('TOLLGATE_RELAY_PORT=%i');
    expect(one(relay, 'KillSignal')).toBe('SIGTERM');
    expect(one(relay, 'Restart')).toBe('on-failure');
    const drainSeconds = configSchema.parse({}).shutdown_timeout / 1000;
    const stopSeconds = Number(one(relay, 'TimeoutStopSec'));
    expect(stopSeconds).toBeGreaterThan(drainSeconds);
    // the example environment keeps shutdown_timeout below TimeoutStopSec
    const envFile = readFileSync(join(unitsDir, 'tollgate.env.example'), 'utf8');
    const timeout = /^TOLLGATE_SHUTDOWN_TIMEOUT=(\d+)$/m.exec(envFile)?.[1];
    expect(Number(timeout) / 1000).toBeLessThan(stopSeconds);
  });

  it('migrations run first: a oneshot the site and relays want and start after', () => {
    const migrate = units['tollgate-migrate.service']!;
    expect(one(migrate, 'Type')).toBe('oneshot');
    for (const name of ['tollgate-site.service', 'tollgate-relay@.service']) {
      const u = units[name]!;
      expect(u.Unit?.After?.join(' ')).toContain('tollgate-migrate.service');
      expect(u.Unit?.Wants?.join(' ')).toContain('tollgate-migrate.service');
      expect(one(u, 'Restart')).toBe('on-failure');
      expect(u.Install?.WantedBy).toEqual(['multi-user.target']);
    }
  });

  it('the example environment file is a valid production configuration', () => {
    const env: Record<string, string> = {};
    for (const line of readFileSync(join(unitsDir, 'tollgate.env.example'), 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line);
      if (m) env[m[1]!] = m[2]!.replace(/^CHANGE-ME$/, 'x'.repeat(48));
    }
    const cfg = loadConfig({ env });
    expect(cfg.production).toBe(true);
    expect(cfg.trusted_proxies).toEqual(['127.0.0.1']);
    expect(cfg.host).toBe('127.0.0.1');
  });

  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  const tmp = mkdtempSync(join(tmpdir(), 'tollgate-units-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.runIf(analyze)(
    'systemd-analyze verify accepts the units (install dir mapped onto this checkout)',
    () => {
      for (const name of Object.keys(units)) {
        const text = readFileSync(join(unitsDir, name), 'utf8').replaceAll(installDir, root);
        writeFileSync(join(tmp, name), text);
      }
      // a template unit is verified through an instance
      copyFileSync(join(tmp, 'tollgate-relay@.service'), join(tmp, 'tollgate-relay@3000.service'));
      const files = ['tollgate-migrate.service', 'tollgate-site.service', 'tollgate-relay@3000.service'];
      const r = spawnSync('systemd-analyze', ['verify', ...files.map((f) => join(tmp, f))], {
        encoding: 'utf8',
        env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // and it does fail on a unit whose program is missing (the check is real)
      writeFileSync(
        join(tmp, 'broken.service'),
        '[Service]\nExecStart=/nonexistent/node main.js\n[Install]\nWantedBy=multi-user.target\n',
      );
      expect(spawnSync('systemd-analyze', ['verify', join(tmp, 'broken.service')]).status).not.toBe(0);
    },
  );
});
