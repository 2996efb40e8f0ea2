import { randomBytes } from 'node:crypto';
import { closeControlPlaneDeps, createControlPlaneDeps } from '@tollgate/control-plane';
import { createChannel } from '@tollgate/control-plane/modules/channels/channels.service.ts';
import { setPrice } from '@tollgate/control-plane/modules/prices/prices.service.ts';
import { setSettings } from '@tollgate/control-plane/modules/settings/settings.service.ts';
import { createToken } from '@tollgate/control-plane/modules/tokens/tokens.service.ts';
import { adjustBalance, createUser } from '@tollgate/control-plane/modules/users/users.service.ts';
import { loadConfig } from '@tollgate/shared/config.ts';
import { migrateToLatest } from '@tollgate/shared/db/index.ts';
import { pino } from 'pino';

/** The sell price the seed sets on every model, in quota units per 1M tokens (gpt-4o-mini's list price). */
export const SEED_PRICE = { inputPrice: 150_000, outputPrice: 600_000 } as const;
/** The balance every seeded user starts with. */
export const SEED_BALANCE = 10 ** 15;

export interface SeedOptions {
  /** the data dir the relay will be started on (embedded: migrated here; production: secrets only) */
  dataDir: string;
  /** base URL of the upstream (no `/v1`) */
  upstreamUrl: string;
  models?: string[];
  upstreamKey?: string;
  /** a sensitive-word list (action `log`) the relay screens every prompt against while alerts are on */
  sensitiveWords?: string[];
  /** how many users, each with a balance of SEED_BALANCE and one unlimited key (default 1) */
  customers?: number;
  /**
   * Production mode: the database, the Redis and the secrets the relay will use (the balances then
   * live in Redis as well, moved by the same services the site uses).
   */
  production?: {
    sqlDsn: string;
    redisUrl: string;
    redisPrefix: string;
    userTokenSecret: string;
    sessionSecret: string;
  };
}

export interface SeededCustomer {
  userId: number;
  tokenId: number;
  key: string;
  /** the balance it was given */
  balance: number;
}

/**
 * Prepares a database the way an operator would, through the control-plane services: migrations, a
 * priced model, users with a large balance and a key each, and one channel. Embedded: the secrets are
 * the generated ones in `<dataDir>/secrets.json`, so a relay started with only `TOLLGATE_DATA_DIR`
 * accepts the keys; production: the given secrets, database and Redis namespace.
 */
export async function seed(
  o: SeedOptions,
): Promise<{ key: string; channelId: number; customers: SeededCustomer[] }> {
  const p = o.production;
  const cfg = loadConfig({
    // an empty config file: a config.yaml in the current directory is not picked up
    argv: ['--config', '/dev/null'],
    overrides: {
      data_dir: o.dataDir,
      log_level: 'silent',
      ...(p
        ? {
            sql_dsn: p.sqlDsn,
            redis_conn_string: p.redisUrl,
            redis_prefix: p.redisPrefix,
            user_token_secret: p.userTokenSecret,
            session_secret: p.sessionSecret,
          }
        : {}),
    },
  });
  const deps = createControlPlaneDeps(cfg, { logger: pino({ level: 'silent' }) });
  try {
    await migrateToLatest(deps.db);
    const models = o.models ?? ['gpt-4o-mini'];
    for (const model of models) await setPrice(deps, { model, ...SEED_PRICE });
    const customers: SeededCustomer[] = [];
    for (let i = 0; i < (o.customers ?? 1); i++) {
      const user = await createUser(deps, {
        email: `bench-${randomBytes(4).toString('hex')}@example.com`,
        password: randomBytes(12).toString('base64url'),
      });
      await adjustBalance(deps, { userId: user.id, amount: SEED_BALANCE, reason: 'benchmark credit' });
      const { key, token } = await createToken(deps, user.id, { name: 'bench' });
      customers.push({ userId: user.id, tokenId: token.id, key, balance: SEED_BALANCE });
    }
    const channel = await createChannel(deps, {
      name: 'fake-upstream',
      baseUrl: o.upstreamUrl,
      keys: [o.upstreamKey ?? 'sk-fake-upstream-key'],
      models,
    });
    if (o.sensitiveWords?.length)
      await setSettings(deps, { sensitive_words: o.sensitiveWords, sensitive_words_action: 'log' });
    return { key: customers[0]!.key, channelId: channel.id, customers };
  } finally {
    await closeControlPlaneDeps(deps);
  }
}

/** An embedded (SQLite) data dir with one user and key: `seed` without production settings. */
export async function seedEmbedded(
  o: Omit<SeedOptions, 'production' | 'customers'>,
): Promise<{ key: string; channelId: number }> {
  const { key, channelId } = await seed(o);
  return { key, channelId };
}
