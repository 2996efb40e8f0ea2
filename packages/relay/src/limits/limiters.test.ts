import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { limiterPool, peek, take } from './limiters.ts';

/** A Redis client whose every command fails, as when the server is gone. */
const brokenRedis = {
  status: 'ready',
  defineCommand() {},
  rlflxIncr: () => Promise.reject(new Error('connection lost')),
  multi() {
    throw new Error('connection lost');
  },
} as unknown as Redis;

describe('limiter outcomes', () => {
  it('tells a reached limit from a store failure', async () => {
    const l = new RateLimiterMemory({ points: 1, duration: 60 });
    expect((await take(l, 'k')).status).toBe('allowed');
    const limited = await take(l, 'k');
    expect(limited.status).toBe('limited');
    const broken = new RateLimiterRedis({ storeClient: brokenRedis, points: 1, duration: 60 });
    const failed = await take(broken, 'k');
    expect(failed.status).toBe('unavailable');
    expect(failed.status === 'unavailable' && (failed.error as Error).message).toBe('connection lost');
  });

  it('the insurance limiter answers for a failing store, limits included', async () => {
    const pool = limiterPool({ redis: brokenRedis, keyPrefix: 'p', durationSec: 60 });
    expect((await take(pool(2), 'k')).status).toBe('allowed');
    expect((await take(pool(2), 'k')).status).toBe('allowed');
    expect((await take(pool(2), 'k')).status).toBe('limited');
    expect((await peek(pool(2), 'unseen')).status).toBe('allowed');
  });

  it('one limiter per points value, reused', () => {
    const pool = limiterPool({ redis: undefined, keyPrefix: 'p', durationSec: 60 });
    expect(pool(5)).toBe(pool(5));
    expect(pool(5)).not.toBe(pool(6));
  });

  it('peek reads without consuming; an unseen key counts 0', async () => {
    const l = new RateLimiterMemory({ points: 10, duration: 60 });
    const unseen = await peek(l, 'k');
    expect(unseen.status === 'allowed' && unseen.res.consumedPoints).toBe(0);
    await l.penalty('k', 7);
    const seen = await peek(l, 'k');
    expect(seen.status === 'allowed' && seen.res.consumedPoints).toBe(7);
    const again = await peek(l, 'k');
    expect(again.status === 'allowed' && again.res.consumedPoints).toBe(7);
  });
});
