import type { Config } from '@tollgate/shared/config.ts';
import { type ConfigPublisher, createConfigPublisher } from '@tollgate/shared/config-bus.ts';
import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import { createLogger, type Logger } from '@tollgate/shared/logger.ts';
import { createRedis } from '@tollgate/shared/redis.ts';
import { type RedisNames, redisNames } from '@tollgate/shared/redis-names.ts';
import { createSecretBox, type SecretBox } from '@tollgate/shared/secret-box.ts';
import type { Redis } from 'ioredis';

/** Everything the control plane's services need, built once by the host process (site or CLI). */
export interface ControlPlaneDeps {
  cfg: Config;
  db: Db;
  redis: Redis | undefined;
  redisNames: RedisNames;
  publisher: ConfigPublisher;
  /** encrypts key plaintexts so users can reveal them */
  tokenBox: SecretBox;
  /** encrypts upstream channel keys */
  channelBox: SecretBox;
  /** encrypts secrets kept in settings (payment API key, webhook secret, SMTP password, codes) */
  settingsBox: SecretBox;
  logger: Logger;
  now: () => number;
}

export function createControlPlaneDeps(
  cfg: Config,
  opts: { logger?: Logger; name?: string } = {},
): ControlPlaneDeps {
  const logger = opts.logger ?? createLogger(cfg, opts.name ?? 'site');
  const names = redisNames(cfg.redis_prefix);
  const redis = cfg.redis_conn_string
    ? createRedis(cfg.redis_conn_string, { name: opts.name ?? 'site', offlineQueue: true })
    : undefined;
  redis?.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  return {
    cfg,
    db: createDb(cfg),
    redis,
    publisher: createConfigPublisher(redis, names.configChannel),
    redisNames: names,
    tokenBox: createSecretBox(cfg.user_token_secret, 'token-key'),
    channelBox: createSecretBox(cfg.user_token_secret, 'channel-key'),
    settingsBox: createSecretBox(cfg.user_token_secret, 'settings-secret'),
    logger,
    now: Date.now,
  };
}

export async function closeControlPlaneDeps(deps: ControlPlaneDeps): Promise<void> {
  deps.redis?.disconnect();
  await deps.db.close();
}
