import { serve } from '@hono/node-server';
import { type Config, ConfigError, loadConfig } from '@tollgate/shared/config.ts';
import { createDb } from '@tollgate/shared/db/index.ts';
import { createLogger } from '@tollgate/shared/logger.ts';
import { createRedis } from '@tollgate/shared/redis.ts';
import { createSecretBox } from '@tollgate/shared/secret-box.ts';
import { createApp } from './app.ts';
import { createEventReporter } from './events/reporter.ts';
import { createCooldowns } from './proxy/cooldown.ts';
import { createUpstreamClient } from './proxy/forward.ts';
import { createSnapshotStore } from './snapshot/store.ts';
import { createSnapshotSync } from './snapshot/subscriber.ts';

/** Starts the relay: config once → deps → app → serve; SIGTERM drains in-flight requests. */
async function main(): Promise<void> {
  let cfg: Config;
  try {
    cfg = loadConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(cfg, 'relay');
  const db = createDb(cfg, { poolSize: 4 });
  const store = createSnapshotStore();
  const subscriber = cfg.redis_conn_string
    ? createRedis(cfg.redis_conn_string, { name: 'relay-sub', offlineQueue: true })
    : undefined;
  subscriber?.on('error', (err) => logger.warn({ err: err.message }, 'redis subscriber error'));
  const sync = createSnapshotSync({
    db,
    channelBox: createSecretBox(cfg.user_token_secret, 'channel-key'),
    store,
    logger,
    redis: subscriber,
    pollMs: cfg.snapshot_poll_interval,
  });
  const eventRedis = cfg.redis_conn_string
    ? createRedis(cfg.redis_conn_string, { name: 'relay-events' })
    : undefined;
  eventRedis?.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  const events = createEventReporter({ db, redis: eventRedis, logger });
  const upstream = createUpstreamClient({
    connectTimeoutMs: cfg.connect_timeout,
    timeoutMs: cfg.relay_timeout,
  });
  const app = createApp({
    logger,
    store,
    upstream,
    tokenSecret: cfg.user_token_secret,
    maxBodyBytes: cfg.max_body_bytes,
    maxAttempts: 1 + cfg.channel.retry_times,
    requestTimeoutMs: cfg.request_timeout,
    cooldowns: createCooldowns(cfg.channel.cooldown_seconds * 1000),
    trustedProxies: cfg.trusted_proxies,
    reportEvent: (e) => events.report(e),
    onFinished: (r) =>
      logger.info(
        {
          requestId: r.requestId,
          tokenId: r.tokenId,
          userId: r.userId,
          model: r.model,
          channelId: r.channelId,
          tried: r.triedChannels,
          status: r.status,
          errorCode: r.errorCode,
          stream: r.stream,
          usage: r.usage,
          latencyMs: Math.round(r.latencyMs),
          ttftMs: r.ttftMs === undefined ? undefined : Math.round(r.ttftMs),
        },
        'request finished',
      ),
  });
  const server = serve({ fetch: app.fetch, port: cfg.relay_port, hostname: cfg.host }, (info) => {
    logger.info({ port: info.port }, `relay listening on http://${cfg.host}:${info.port}`);
  });
  void sync.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'relay draining');
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    // idle keep-alive sockets would hold close() open; busy ones finish their response first
    (server as import('node:http').Server).closeIdleConnections?.();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
    await Promise.race([drained, deadline]);
    await sync.stop();
    await events.close();
    subscriber?.disconnect();
    eventRedis?.disconnect();
    await upstream.close().catch(() => undefined);
    await db.close();
    logger.info('relay stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
