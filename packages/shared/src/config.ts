import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);
const int = (min = 0) => z.coerce.number().int().min(min);

/**
 * The one configuration schema of Tollgate (SPEC §9). Every binary parses it once in its `main.ts`;
 * nothing else reads `process.env`.
 */
export const configSchema = z
  .object({
    /** HMAC secret of the secondary keys and the encryption key of stored secrets (32+ chars). */
    user_token_secret: z.string().optional(),
    /** Secret that signs session and CSRF material on the site (32+ chars). */
    session_secret: z.string().optional(),
    /** `mysql://user:pass@host:port/db`. Unset → embedded SQLite under `data_dir`. */
    sql_dsn: z.string().optional(),
    /** `redis://host:port/db`. Unset → no Redis: in-process limits, snapshot version poll. */
    redis_conn_string: z.string().optional(),
    /** Prefix of every Redis key and channel, so deployments can share one Redis. */
    redis_prefix: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]*$/, 'letters, digits and : _ . - only')
      .default('tollgate:'),
    node_env: z.string().default('development'),
    data_dir: z.string().default('./data'),
    log_dir: z.string().optional(),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    host: z.string().default('0.0.0.0'),
    relay_port: int().max(65535).default(3000),
    site_port: int().max(65535).default(3001),
    /** Public base URL of the relay shown to users in the docs page (default http://localhost:relay_port). */
    relay_public_url: z.string().url().optional(),
    /** Public URL of the site (for links in emails and checkout return pages). */
    site_public_url: z.string().url().optional(),
    batch_update_enabled: bool.default(false),
    /** Seconds between flushes of batched settlements. */
    batch_update_interval: int(1).default(1),
    /** completion tokens held before a call that sets no max_tokens (the hold is settled to the real cost) */
    hold_default_completion_tokens: int().default(1024),
    /** seconds after which another relay takes over the unwritten settlements of a relay that died (Redis) */
    settlement_claim_idle_seconds: int(1).default(30),
    /**
     * Settlements waiting for the database (Redis stream + a relay's in-process fallback queue) above
     * which relays refuse new requests with 503 until the database catches up (MySQL outage bound).
     */
    settlement_backlog_max: int(1).default(200_000),
    /**
     * Milliseconds the relay keeps an idle client connection open; longer than the proxy's own idle
     * timeout in front of it (Nginx upstream keepalive_timeout 60 s), so the proxy always closes first.
     */
    keep_alive_timeout: int(1000).default(65_000),
    /** milliseconds SIGTERM waits for in-flight requests (streams included) before closing them */
    shutdown_timeout: int(0).default(30_000),
    /** Milliseconds one upstream attempt may stay silent: before its headers, and between body chunks. */
    relay_timeout: int(1).default(300_000),
    /** Milliseconds to find an upstream that answers, all retries included. */
    request_timeout: int(1).default(600_000),
    /** Milliseconds to establish an upstream connection. */
    connect_timeout: int(1).default(10_000),
    /** Maximum accepted request body on the relay in bytes. */
    max_body_bytes: int(1024).default(8 * 1024 * 1024),
    /** Whole-relay requests per second; 0 = off. */
    global_api_rate_limit: int().default(0),
    /** Proxies whose X-Forwarded-For is honoured (IPs or CIDRs). */
    trusted_proxies: z.array(z.string()).default([]),
    /** Milliseconds between snapshot version polls when there is no Redis. */
    snapshot_poll_interval: int(50).default(250),
    /** When set, the relay's `GET /metrics` needs `Authorization: Bearer <metrics_token>`; unset → open. */
    metrics_token: z.string().min(1).optional(),
    channel: z
      .object({
        /** minutes between scheduled channel tests; 0 = off */
        test_frequency: int().default(0),
        /** extra attempts on other channels after a retryable failure */
        retry_times: int().max(10).default(2),
        /** seconds a (channel, model) pair is skipped after a failure (renewed on each failure) */
        cooldown_seconds: int().default(30),
        /** failures within the window that auto-disable a channel; 0 = never */
        auto_disable_failures: int().default(5),
        auto_disable_window_seconds: int(1).default(60),
      })
      .strict()
      .default({
        test_frequency: 0,
        retry_times: 2,
        cooldown_seconds: 30,
        auto_disable_failures: 5,
        auto_disable_window_seconds: 60,
      }),
    /**
     * Alerting on the relay (SPEC §7): traffic counters aggregated for the alert rules and prompts screened
     * against the sensitive-word list. false → neither (the rules over traffic and sensitive words see nothing).
     */
    alerts_enabled: bool.default(true),
    /** seconds between two evaluations of the alert rules (the job leader) */
    alerts_interval_seconds: int(1).default(15),
    auto_price_updates: bool.default(false),
    user_invoice_month: bool.default(false),
    /**
     * Where the Lemon Squeezy SDK's API calls go instead of https://api.lemonsqueezy.com (a fake API in
     * tests or a recording proxy); unset in production.
     */
    lemonsqueezy_api_url: z.string().url().optional(),
    /** Seconds between low-balance checks (the reminder e-mail job). */
    low_balance_check_seconds: int(1).default(60),
    /** failed sign-ins allowed per client IP per 10 minutes */
    auth_login_failures_per_10min: int(1).default(20),
    /** accounts one client IP may register per hour */
    auth_registrations_per_hour: int(1).default(20),
    admin_email: z.string().email().optional(),
    admin_password: z.string().min(8).optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema> & {
  user_token_secret: string;
  session_secret: string;
  /** true when `sql_dsn` is set or NODE_ENV=production. */
  production: boolean;
};

/** Raised when configuration cannot be used; the message names the field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Env names accepted without the TOLLGATE_ prefix, for operators coming from one-api/new-api. */
const legacyEnv: Record<string, string> = {
  SQL_DSN: 'sql_dsn',
  REDIS_CONN_STRING: 'redis_conn_string',
  SESSION_SECRET: 'session_secret',
  GLOBAL_API_RATE_LIMIT: 'global_api_rate_limit',
  NODE_ENV: 'node_env',
  BATCH_UPDATE_ENABLED: 'batch_update_enabled',
};

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Reads `TOLLGATE_FOO__BAR=v` as `{ foo: { bar: v } }`; list values are comma-separated. */
function envOverrides(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    let path: string[] | undefined;
    if (name.startsWith('TOLLGATE_')) path = name.slice(9).toLowerCase().split('__');
    else if (legacyEnv[name]) path = [legacyEnv[name]];
    // other TOLLGATE_* variables (tests, scripts) are not configuration: only schema keys are read
    if (!path || !(path[0]! in configSchema.shape)) continue;
    const key = path.join('.');
    setPath(out, path, key === 'trusted_proxies' ? value.split(',').map((s) => s.trim()) : value);
  }
  return out;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** `--config path` from argv, else `./config.yaml` when it exists. */
export function configPathFromArgv(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--config');
  if (i >= 0) {
    const p = argv[i + 1];
    if (!p) throw new ConfigError('--config needs a file path');
    return p;
  }
  const eq = argv.find((a) => a.startsWith('--config='));
  if (eq) return eq.slice('--config='.length);
  return existsSync('config.yaml') ? 'config.yaml' : undefined;
}

export type LoadConfigOptions = {
  argv?: readonly string[];
  env?: Record<string, string | undefined>;
  /** Extra values that win over file and env (tests). */
  overrides?: Record<string, unknown>;
};

/**
 * Loads `config.yaml` (or `--config`), applies `TOLLGATE_*` env overrides and validates once.
 * In production mode a missing or short secret stops start-up naming the field; in embedded mode
 * missing secrets are generated once and kept in `<data_dir>/secrets.json` so keys survive restarts.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const argv = opts.argv ?? [];
  const env = opts.env ?? {};
  const file = configPathFromArgv(argv);
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new ConfigError(`cannot read config file ${file}`, { cause });
    }
    const parsed: unknown = parseYaml(text);
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed))
        throw new ConfigError(`${file}: top level must be a mapping`);
      fromFile = parsed as Record<string, unknown>;
    }
  }
  const merged = deepMerge(deepMerge(fromFile, envOverrides(env)), opts.overrides ?? {});
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    throw new ConfigError(
      issue.code === 'unrecognized_keys'
        ? `config: unknown key(s) ${issue.keys.join(', ')}`
        : `config: invalid value for ${field}: ${issue.message}`,
    );
  }
  const cfg = result.data;
  const production = Boolean(cfg.sql_dsn) || cfg.node_env === 'production';
  for (const field of ['user_token_secret', 'session_secret'] as const) {
    const v = cfg[field];
    if (production) {
      if (!v)
        throw new ConfigError(
          `config: ${field} is required in production (set it in config.yaml or TOLLGATE_${field.toUpperCase()})`,
        );
      if (v.length < 32)
        throw new ConfigError(`config: ${field} must be at least 32 characters (it has ${v.length})`);
    } else if (v !== undefined && v.length < 32) {
      throw new ConfigError(`config: ${field} must be at least 32 characters (it has ${v.length})`);
    }
  }
  const secrets =
    production || (cfg.user_token_secret && cfg.session_secret) ? {} : embeddedSecrets(cfg.data_dir);
  return {
    ...cfg,
    user_token_secret: cfg.user_token_secret ?? secrets.user_token_secret!,
    session_secret: cfg.session_secret ?? secrets.session_secret!,
    production,
  };
}

function embeddedSecrets(dataDir: string): { user_token_secret?: string; session_secret?: string } {
  const path = join(resolve(dataDir), 'secrets.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  const secrets = {
    user_token_secret: randomBytes(32).toString('base64url'),
    session_secret: randomBytes(32).toString('base64url'),
  };
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  } catch {
    return JSON.parse(readFileSync(path, 'utf8'));
  }
  return secrets;
}

/** The SQLite file used when `sql_dsn` is unset. */
export function sqlitePath(cfg: Pick<Config, 'data_dir'>): string {
  return join(resolve(cfg.data_dir), 'tollgate.db');
}
