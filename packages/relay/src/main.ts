import { serve } from '@hono/node-server';
import { type Config, ConfigError, loadConfig } from '@tollgate/shared/config.ts';
import { createDb } from '@tollgate/shared/db/index.ts';
import { createLogger } from '@tollgate/shared/logger.ts';
import { createRedis } from '@tollgate/shared/redis.ts';
import { redisNames } from '@tollgate/shared/redis-names.ts';
import { createSecretBox } from '@tollgate/shared/secret-box.ts';
import { createApp } from './app.ts';
import { createEventReporter } from './events/reporter.ts';
import { createTrafficCounter } from './events/traffic.ts';
import { createMemoryBalances } from './metering/memory-balances.ts';
import { createMeter } from './metering/meter.ts';
import { createRedisBalances } from './metering/redis-balances.ts';
import { createResilientBalances } from './metering/resilient-balances.ts';
import type { Settlement } from './metering/types.ts';
import { createRelayMetrics } from './metrics/metrics.ts';
import { createRateLimits } from './middleware/rate-limit.ts';
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
  const names = redisNames(cfg.redis_prefix);
  const store = createSnapshotStore();
  const redisFor = (name: string, offlineQueue = false, commandTimeoutMs?: number) => {
    if (!cfg.redis_conn_string) return undefined;
    const client = createRedis(cfg.redis_conn_string, { name, offlineQueue, commandTimeoutMs });
    client.on('error', (err) => logger.warn({ err: err.message, client: name }, 'redis error'));
    return client;
  };
  // commands (holds, settlements, events, limits), pub/sub, and blocking stream reads each need their own connection
  // a silent Redis (no reply in 2 s) counts as down: balances and limits fall back instead of hanging
  const redis = redisFor('relay', false, 2000);
  const subscriber = redisFor('relay-sub', true);
  const streamReader = redisFor('relay-flusher', true);
  const flushIntervalMs = cfg.batch_update_interval * 1000;
  const inProcess = (onApplied?: (applied: Settlement[]) => void) =>
    createMemoryBalances({
      db,
      logger,
      flushIntervalMs,
      aggregateLedger: cfg.batch_update_enabled,
      onApplied,
    });
  // production: Redis, with an in-process fallback while Redis does not answer; embedded: in process
  const balances =
    redis && streamReader
      ? createResilientBalances({
          primary: createRedisBalances({
            db,
            redis,
            reader: streamReader,
            names,
            logger,
            flushIntervalMs,
            aggregateLedger: cfg.batch_update_enabled,
            claimIdleMs: cfg.settlement_claim_idle_seconds * 1000,
          }),
          createFallback: inProcess,
          logger,
          maxBacklog: cfg.settlement_backlog_max,
        })
      : (() => {
          const memory = inProcess();
          return { ...memory, backlog: memory.queued };
        })();
  const meter = createMeter({
    balances,
    defaultCompletionHold: cfg.hold_default_completion_tokens,
    onSettleError: (err) => logger.error({ err }, 'settlement failed'),
  });
  const sync = createSnapshotSync({
    db,
    channelBox: createSecretBox(cfg.user_token_secret, 'channel-key'),
    store,
    logger,
    redis: subscriber,
    channel: names.configChannel,
    pollMs: cfg.snapshot_poll_interval,
    // embedded: a top-up or a key edit re-reads that counter (Redis mode: the control plane moves it)
    onChanges: (changes) => {
      for (const ch of changes) {
        if (ch.entity === 'user') void balances.refreshUser(Number(ch.id));
        else if (ch.entity === 'token') void balances.refreshToken(Number(ch.id));
      }
    },
  });
  const events = createEventReporter({ db, redis, stream: names.eventsStream, logger });
  // alerts_enabled: false → no traffic counters and no prompt screen on the hot path
  const traffic = cfg.alerts_enabled ? createTrafficCounter({ report: (e) => events.report(e) }) : undefined;
  const limits = createRateLimits({
    redis,
    globalRps: cfg.global_api_rate_limit,
    logger,
    keyPrefix: names.rateLimit,
  });
  const upstream = createUpstreamClient({
    connectTimeoutMs: cfg.connect_timeout,
    timeoutMs: cfg.relay_timeout,
  });
  const cooldowns = createCooldowns(cfg.channel.cooldown_seconds * 1000);
  const metrics = createRelayMetrics({ store, cooldowns, balances });
  const app = createApp({
    logger,
    store,
    upstream,
    tokenSecret: cfg.user_token_secret,
    maxBodyBytes: cfg.max_body_bytes,
    maxAttempts: 1 + cfg.channel.retry_times,
    requestTimeoutMs: cfg.request_timeout,
    cooldowns,
    metrics,
    metricsToken: cfg.metrics_token,
    limits,
    meter,
    trustedProxies: cfg.trusted_proxies,
    reportEvent: (e) => events.report(e),
    traffic,
    screenPrompts: cfg.alerts_enabled,
    // every finished request is a row in the `logs` table already; the log line is for debugging
    onFinished: (r) =>
      logger.debug(
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
  const httpServer = server as import('node:http').Server;
  httpServer.keepAliveTimeout = cfg.keep_alive_timeout;
  httpServer.headersTimeout = Math.max(60_000, cfg.keep_alive_timeout + 1000);
  void sync.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'relay draining');
    const http = server as import('node:http').Server;
    // no new connections; requests already on a connection finish, answered with `Connection: close`
    http.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
    const drained = new Promise<void>((resolve) => http.close(() => resolve()));
    // keep-alive sockets between two requests would hold close() open
    const idle = setInterval(() => http.closeIdleConnections(), 50);
    http.closeIdleConnections();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, cfg.shutdown_timeout).unref());
    await Promise.race([drained, deadline]);
    clearInterval(idle);
    http.closeAllConnections();
    await sync.stop();
    // everything settled so far reaches SQL before exit
    await balances.close();
    traffic?.close();
    await events.close();
    subscriber?.disconnect();
    redis?.disconnect();
    await upstream.close().catch(() => undefined);
    await db.close();
    logger.info('relay stopped');
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
