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

export type StreamEntry = [id: string, fields: string[]];

/**
 * The entries of an XREAD/XREADGROUP reply for one stream. ioredis 6 answers `[stream, entries]`
 * (RESP3 map flattened) where older clients answered `[[stream, entries]]`; both are accepted.
 */
export function streamEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const first = reply[0];
  const entries = Array.isArray(first) ? first[1] : reply[1];
  return Array.isArray(entries) ? (entries as StreamEntry[]) : [];
}
