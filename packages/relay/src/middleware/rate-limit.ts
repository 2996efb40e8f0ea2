import type { Logger } from '@tollgate/shared/logger.ts';
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Redis } from 'ioredis';
import type { RelayEnv } from '../env.ts';
import { RelayError } from '../errors.ts';
import { type LimitState, limitHeaders, retryAfter } from '../limits/headers.ts';
import { createLimiter, type Limiter, limiterPool, peek, take } from '../limits/limiters.ts';
import type { FinishedRequest } from '../routes/relay-endpoint.ts';

export interface RateLimitsOptions {
  /** counters shared by every relay; unset → this process only (embedded mode) */
  redis?: Redis;
  /** whole-relay requests per second; 0 = off */
  globalRps: number;
  logger: Logger;
  /** stored key prefix, default `tollgate:rl:` (tests use a random one) */
  keyPrefix?: string;
  /** seconds of the global window, default 1 (tests lengthen it to stay independent of speed) */
  globalWindowSec?: number;
}

/** The relay's rate limits (SPEC §7): middleware for the pipeline and the TPM charge after a request. */
export interface RateLimits {
  /** Whole-relay requests per second; mounted before authentication so floods are refused cheaply. */
  global(): MiddlewareHandler<RelayEnv>;
  /**
   * Key RPM, group RPM and group TPM; mounted right after `authenticate`, before any upstream call.
   * Sets `x-ratelimit-*` headers on the response and in `rateLimitHeaders` for directly written ones.
   */
  perKey(): MiddlewareHandler<RelayEnv>;
  /** Charges a finished request's tokens (prompt + completion) to its group's TPM window. */
  onFinished(r: FinishedRequest): void;
}

/** One limit looked at for a request. */
interface Check {
  state: LimitState;
  limited: boolean;
  message: string;
  /** gives back the point taken when another limit refuses the request */
  refund?: () => void;
}

const keyRpmMessage = 'Rate limit reached for requests per minute of this API key.';
const groupRpmMessage = 'Rate limit reached for requests per minute of your group.';
const positive = (n: number | null | undefined) => (n && n > 0 ? n : undefined);

/** The limits that refuse a request, rendered as OpenAI does: 429, `Retry-After`, `x-ratelimit-*`. */
function refusal(refused: Check[]): RelayError {
  const wait = Math.max(...refused.map((r) => r.state.msBeforeNext));
  return new RelayError('rate_limited', {
    message: refused[0]!.message,
    headers: { 'retry-after': retryAfter(wait), ...limitHeaders(tightest(refused)) },
  });
}

/** Per unit, the state that binds: fewest remaining, then the longest wait. */
function tightest(checks: Check[]): LimitState[] {
  const byUnit = new Map<string, LimitState>();
  for (const { state } of checks) {
    const cur = byUnit.get(state.unit);
    if (
      !cur ||
      state.remaining < cur.remaining ||
      (state.remaining === cur.remaining && state.msBeforeNext > cur.msBeforeNext)
    )
      byUnit.set(state.unit, state);
  }
  return [...byUnit.values()];
}

/**
 * Builds the relay's limiters: on Redis (prefix `tollgate:rl:`) with an in-memory insurance limiter when
 * `redis` is given, in memory otherwise. A store failure never fails a request: it is let through with a
 * warning (the insurance limiter normally answers instead).
 * @see https://platform.openai.com/docs/guides/rate-limits
 */
export function createRateLimits(o: RateLimitsOptions): RateLimits {
  const prefix = o.keyPrefix ?? 'tollgate:rl:';
  const minute = (kind: string) => ({ redis: o.redis, keyPrefix: `${prefix}${kind}`, durationSec: 60 });
  const keyRpm = limiterPool({ ...minute('key-rpm'), blockInMemory: true });
  const groupRpm = limiterPool({ ...minute('group-rpm'), blockInMemory: true });
  // TPM is check-then-charge (tokens are known after the answer): a plain counter, compared here
  const groupTokens = createLimiter(minute('group-tpm'), Number.MAX_SAFE_INTEGER);
  const tpmGroups = new Set<string>();
  const global =
    o.globalRps > 0
      ? createLimiter(
          {
            redis: o.redis,
            keyPrefix: `${prefix}global`,
            durationSec: o.globalWindowSec ?? 1,
            blockInMemory: true,
          },
          o.globalRps,
        )
      : undefined;

  let lastWarn = 0;
  const unavailable = (err: unknown, limit: string): undefined => {
    const now = Date.now();
    if (now - lastWarn >= 10_000) {
      lastWarn = now;
      o.logger.warn({ err, limit }, 'rate limit store unavailable; letting requests through');
    }
    return undefined;
  };

  const requests = async (
    l: Limiter,
    key: string,
    limit: number,
    message: string,
  ): Promise<Check | undefined> => {
    const r = await take(l, key);
    if (r.status === 'unavailable') return unavailable(r.error, l.keyPrefix);
    const { remainingPoints, msBeforeNext } = r.res;
    return {
      limited: r.status === 'limited',
      message,
      state: { unit: 'requests', limit, remaining: remainingPoints, msBeforeNext },
      refund: () => void l.reward(key, 1).catch(() => undefined),
    };
  };

  const tokens = async (group: string, limit: number): Promise<Check | undefined> => {
    const r = await peek(groupTokens, group);
    if (r.status === 'unavailable') return unavailable(r.error, groupTokens.keyPrefix);
    const { consumedPoints, msBeforeNext } = r.res;
    const used = msBeforeNext > 0 ? consumedPoints : 0;
    return {
      limited: used >= limit,
      message: 'Rate limit reached for tokens per minute of your group.',
      state: { unit: 'tokens', limit, remaining: limit - used, msBeforeNext: Math.max(0, msBeforeNext) },
    };
  };

  return {
    global() {
      return createMiddleware<RelayEnv>(async (_c, next) => {
        if (global) {
          const c = await requests(global, 'all', o.globalRps, 'The relay is busy; too many requests.');
          if (c?.limited) throw refusal([c]);
        }
        await next();
      });
    },

    perKey() {
      return createMiddleware<RelayEnv>(async (c, next) => {
        const { token, group, groupEntry } = c.get('auth');
        const kRpm = positive(token.rpmLimit);
        const gRpm = positive(groupEntry?.rpmLimit);
        const gTpm = positive(groupEntry?.tpmLimit);
        if (!kRpm && !gRpm && !gTpm) return next();
        if (gTpm) tpmGroups.add(group);
        const checks = (
          await Promise.all([
            kRpm ? requests(keyRpm(kRpm), String(token.id), kRpm, keyRpmMessage) : undefined,
            gRpm ? requests(groupRpm(gRpm), group, gRpm, groupRpmMessage) : undefined,
            gTpm ? tokens(group, gTpm) : undefined,
          ])
        ).filter((x): x is Check => !!x);
        const refused = checks.filter((x) => x.limited);
        if (refused.length > 0) {
          for (const x of checks) if (!x.limited) x.refund?.();
          throw refusal(refused);
        }
        const headers = limitHeaders(tightest(checks));
        c.set('rateLimitHeaders', headers);
        for (const [k, v] of Object.entries(headers)) c.header(k, v);
        await next();
      });
    },

    onFinished(r) {
      if (!r.usage || !tpmGroups.has(r.group)) return;
      const used = Math.round(r.usage.promptTokens + r.usage.completionTokens);
      if (used > 0)
        groupTokens.penalty(r.group, used).catch((err) => unavailable(err, groupTokens.keyPrefix));
    },
  };
}
