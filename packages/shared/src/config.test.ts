import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const strong = 'x'.repeat(32);
const tmp = () => mkdtempSync(join(tmpdir(), 'tg-config-'));

describe('loadConfig', () => {
  it('has embedded defaults and generates secrets once, kept across loads', () => {
    const dir = tmp();
    const a = loadConfig({ env: { TOLLGATE_DATA_DIR: dir } });
    const b = loadConfig({ env: { TOLLGATE_DATA_DIR: dir } });
    expect(a.production).toBe(false);
    expect(a.relay_port).toBe(3000);
    expect(a.site_port).toBe(3001);
    expect(a.sql_dsn).toBeUndefined();
    expect(a.user_token_secret.length).toBeGreaterThanOrEqual(32);
    expect(b.user_token_secret).toBe(a.user_token_secret);
    expect(b.session_secret).toBe(a.session_secret);
  });

  it('stops production start-up naming the missing or weak secret', () => {
    expect(() =>
      loadConfig({ env: { TOLLGATE_SQL_DSN: 'mysql://x@h/db', TOLLGATE_SESSION_SECRET: strong } }),
    ).toThrow(/user_token_secret is required/);
    expect(() =>
      loadConfig({
        env: { NODE_ENV: 'production', TOLLGATE_USER_TOKEN_SECRET: strong, TOLLGATE_SESSION_SECRET: 'short' },
      }),
    ).toThrow(/session_secret must be at least 32 characters/);
    const ok = loadConfig({
      env: { SQL_DSN: 'mysql://x@h/db', TOLLGATE_USER_TOKEN_SECRET: strong, SESSION_SECRET: strong },
    });
    expect(ok.production).toBe(true);
  });

  it('reads config.yaml from --config, env wins, nested keys with __', () => {
    const dir = tmp();
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      `relay_port: 4100\nchannel:\n  test_frequency: 5\nbatch_update_enabled: true\ndata_dir: ${dir}\n`,
    );
    const cfg = loadConfig({
      argv: ['--config', file],
      env: { TOLLGATE_RELAY_PORT: '4200', TOLLGATE_CHANNEL__TEST_FREQUENCY: '7' },
    });
    expect(cfg.relay_port).toBe(4200);
    expect(cfg.channel.test_frequency).toBe(7);
    expect(cfg.batch_update_enabled).toBe(true);
  });

  it('rejects invalid values and unknown keys with the field name', () => {
    const dir = tmp();
    expect(() => loadConfig({ env: { TOLLGATE_DATA_DIR: dir, TOLLGATE_RELAY_PORT: 'abc' } })).toThrow(
      /relay_port/,
    );
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'relay_prot: 1\n');
    expect(() => loadConfig({ argv: ['--config', file] })).toThrow(ConfigError);
    expect(() => loadConfig({ argv: ['--config', file] })).toThrow(/relay_prot/);
    expect(() => loadConfig({ argv: ['--config', join(dir, 'missing.yaml')] })).toThrow(
      /cannot read config file/,
    );
  });
});

describe('config.example.yaml', () => {
  const path = new URL('../../../config.example.yaml', import.meta.url).pathname;

  it('parses, and documents every key of the schema', async () => {
    const { readFileSync } = await import('node:fs');
    const { configSchema } = await import('./config.ts');
    const cfg = loadConfig({ argv: ['--config', path], env: { TOLLGATE_DATA_DIR: tmp() } });
    expect(cfg.relay_port).toBe(3000);
    const text = readFileSync(path, 'utf8');
    for (const key of Object.keys(configSchema.shape)) {
      if (key === 'node_env') continue;
      expect(text, `config.example.yaml must document ${key}`).toMatch(new RegExp(`^#? ?\\s*${key}:`, 'm'));
    }
  });
});

describe('environment', () => {
  it('ignores TOLLGATE_* variables that are not configuration keys', () => {
    const cfg = loadConfig({
      env: { TOLLGATE_DATA_DIR: tmp(), TOLLGATE_TEST_MYSQL_URL: 'mysql://x', TOLLGATE_RELAY_PORT: '3100' },
    });
    expect(cfg.relay_port).toBe(3100);
  });
});
