import type { RelayEvent } from '@tollgate/shared/events.ts';
import type { Logger } from '@tollgate/shared/logger.ts';
import { Hono } from 'hono';
import type { RelayEnv } from './env.ts';
import { errorBody, RelayError } from './errors.ts';
import type { TrafficCounter } from './events/traffic.ts';
import type { Meter } from './metering/meter.ts';
import { alsoTo, type RelayMetrics } from './metrics/metrics.ts';
import { authenticate } from './middleware/authenticate.ts';
import { clientIp } from './middleware/client-ip.ts';
import { countRequests } from './middleware/count-requests.ts';
import type { RateLimits } from './middleware/rate-limit.ts';
import { requestId } from './middleware/request-id.ts';
import { type Cooldowns, createCooldowns } from './proxy/cooldown.ts';
import type { UpstreamClient } from './proxy/forward.ts';
import { createPromptScreen } from './proxy/prompt-screen.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { modelsRoutes } from './routes/models.ts';
import {
  endpoints,
  type FinishedRequest,
  relayEndpoint,
  type SensitiveHit,
} from './routes/relay-endpoint.ts';
import type { SnapshotStore } from './snapshot/store.ts';

export interface RelayDeps {
  logger: Logger;
  store: SnapshotStore;
  upstream: UpstreamClient;
  tokenSecret: string;
  maxBodyBytes: number;
  /** 1 + retries on other channels */
  maxAttempts: number;
  /** total time to find an upstream that answers, retries included */
  requestTimeoutMs: number;
  cooldowns?: Cooldowns;
  trustedProxies?: readonly string[];
  reportEvent?: (e: RelayEvent) => void;
  onFinished?: (r: FinishedRequest) => void;
  /** Prometheus metrics; `GET /metrics` is served when set */
  metrics?: RelayMetrics;
  /** when set, `GET /metrics` needs `Authorization: Bearer <metricsToken>` */
  metricsToken?: string;
  /** holds and settlement (SPEC §5); nothing is billed when unset */
  meter?: Meter;
  /** global, key and group rate limits (SPEC §7); none when unset */
  limits?: RateLimits;
  /** request counters for the alert rules (SPEC §7); when set, every event and finished request passes through it */
  traffic?: TrafficCounter;
  /** screen prompts against the sensitive-word list of the snapshot (SPEC §7); default true */
  screenPrompts?: boolean;
}

/** The relay as a Hono app: everything it needs is passed in, so tests build it with fakes. */
export function createApp(deps: RelayDeps): Hono<RelayEnv> {
  const app = new Hono<RelayEnv>();
  app.use('*', requestId());
  app.route('/', healthRoutes(deps.store));
  const metrics = deps.metrics;
  if (metrics) {
    app.route('/', metricsRoutes(metrics.registry, deps.metricsToken));
    app.use('/v1/*', countRequests(metrics));
  }

  const v1 = new Hono<RelayEnv>();
  if (deps.limits) v1.use('*', deps.limits.global());
  v1.use('*', clientIp(deps.trustedProxies ?? []));
  v1.use('*', authenticate({ store: deps.store, tokenSecret: deps.tokenSecret }));
  if (deps.limits) v1.use('*', deps.limits.perKey());
  const relay = {
    upstream: deps.upstream,
    maxBodyBytes: deps.maxBodyBytes,
    usageSeen: new Map<number, boolean>(),
    cooldowns: deps.cooldowns ?? createCooldowns(30_000),
    maxAttempts: deps.maxAttempts,
    deadlineMs: deps.requestTimeoutMs,
    reportEvent: metrics ? alsoTo(metrics.event, deps.reportEvent) : deps.reportEvent,
    onFinished: metrics ? alsoTo(metrics.finished, deps.onFinished) : deps.onFinished,
    observer: metrics,
    meter: deps.meter,
    screen: deps.screenPrompts === false ? undefined : createPromptScreen(),
    onSensitive: (hit: SensitiveHit) => {
      deps.logger.warn(
        {
          requestId: hit.requestId,
          tokenId: hit.tokenId,
          userId: hit.userId,
          words: hit.words,
          refused: hit.refused,
        },
        'prompt matched the sensitive-word list',
      );
      traffic?.sensitive(hit);
    },
  };
  if (deps.limits) relay.onFinished = alsoTo(deps.limits.onFinished, relay.onFinished);
  const traffic = deps.traffic;
  if (traffic) {
    relay.onFinished = alsoTo(traffic.finished, relay.onFinished);
    relay.reportEvent = alsoTo(traffic.event, relay.reportEvent);
  }
  for (const spec of endpoints) v1.post(spec.path, relayEndpoint(spec, relay));
  v1.route('/models', modelsRoutes());
  app.route('/v1', v1);

  app.notFound(() => {
    throw new RelayError('not_found');
  });
  app.onError((err, c) => {
    const e = err instanceof RelayError ? err : new RelayError('internal_error', { cause: err });
    const id = c.get('requestId');
    if (e.code === 'internal_error') deps.logger.error({ err, requestId: id }, 'unhandled relay error');
    else deps.logger.debug({ code: e.code, requestId: id }, 'request refused');
    const headers: Record<string, string> = { 'content-type': 'application/json', ...e.headers };
    if (id) headers['x-request-id'] = id;
    return new Response(errorBody(e), { status: e.status, headers });
  });
  return app;
}
