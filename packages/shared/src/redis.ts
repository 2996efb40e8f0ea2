import { Redis } from 'ioredis';

/**
 * A Redis client for `redis_conn_string`. Commands fail fast while disconnected (no offline queue),
 * so callers fall back (insurance limiter, snapshot) instead of piling up requests.
 */
export function createRedis(url: string, opts: { name?: string; offlineQueue?: boolean } = {}): Redis {
  return new Redis(url, {
    connectionName: opts.name,
    enableOfflineQueue: opts.offlineQueue ?? false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
}
