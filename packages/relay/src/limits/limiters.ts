import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** A fixed-window counter: in this process, or in Redis with an in-memory insurance limiter. */
export type Limiter = RateLimiterMemory | RateLimiterRedis;

export interface LimiterOptions {
  /** unset → counters live in this process only (embedded mode) */
  redis: Redis | undefined;
  /** stored key prefix of one kind of limit, e.g. `tollgate:rl:key-rpm` */
  keyPrefix: string;
  durationSec: number;
  /** Redis only: once a key is over its limit, refuse it from memory until its window ends */
  blockInMemory?: boolean;
}

/**
 * One limiter. On Redis, `rejectIfRedisNotReady` sends every call to the insurance limiter at once while
 * the connection is down (no waiting on a dead socket), so limiting goes on per process.
 */
export function createLimiter(o: LimiterOptions, points: number): Limiter {
  const base = { keyPrefix: o.keyPrefix, points, duration: o.durationSec };
  if (!o.redis) return new RateLimiterMemory(base);
  return new RateLimiterRedis({
    ...base,
    storeClient: o.redis,
    rejectIfRedisNotReady: true,
    inMemoryBlockOnConsumed: o.blockInMemory ? points + 1 : 0,
    insuranceLimiter: new RateLimiterMemory(base),
  });
}

/**
 * Limiters of one kind, one per distinct `points` value: per-key and per-group limits differ and change
 * live with the snapshot, and there are few distinct values. On Redis they all share the kind's stored
 * counters, so a changed limit applies to the current window's count.
 */
export function limiterPool(o: LimiterOptions): (points: number) => Limiter {
  const byPoints = new Map<number, Limiter>();
  return (points) => {
    let l = byPoints.get(points);
    if (!l) {
      l = createLimiter(o, points);
      byPoints.set(points, l);
    }
    return l;
  };
}

/**
 * What a limiter call came to. rate-limiter-flexible rejects with a `RateLimiterRes` when the limit is
 * reached and with an `Error` when the store failed and no insurance answered: the latter is
 * `unavailable`, and callers let the request through.
 */
export type Outcome =
  | { status: 'allowed' | 'limited'; res: RateLimiterRes }
  | { status: 'unavailable'; error: unknown };

function failure(error: unknown): Outcome {
  return error instanceof RateLimiterRes
    ? { status: 'limited', res: error }
    : { status: 'unavailable', error };
}

/** Consumes `points` for `key`. */
export async function take(l: Limiter, key: string, points = 1): Promise<Outcome> {
  try {
    return { status: 'allowed', res: await l.consume(key, points) };
  } catch (err) {
    return failure(err);
  }
}

/** Reads `key`'s count in the current window without consuming (an unseen key counts 0). */
export async function peek(l: Limiter, key: string): Promise<Outcome> {
  try {
    return { status: 'allowed', res: (await l.get(key)) ?? new RateLimiterRes(0, 0, 0) };
  } catch (err) {
    return failure(err);
  }
}
