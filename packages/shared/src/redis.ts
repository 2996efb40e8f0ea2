import { Redis } from 'ioredis';

/**
 * A Redis client for `redis_conn_string`. Commands fail fast while disconnected (no offline queue),
 * so callers fall back (insurance limiter, snapshot) instead of piling up requests.
 */
export function createRedis(
  url: string,
  opts: {
    name?: string;
    offlineQueue?: boolean;
    /**
     * ms a command may wait for its reply before it fails ("Command timed out"): a Redis that went
     * silent without closing TCP (hung, paused, partitioned) must not hang the caller for the kernel's
     * retransmission timeout. Never on a connection for blocking reads.
     */
    commandTimeoutMs?: number;
  } = {},
): Redis {
  return new Redis(url, {
    connectionName: opts.name,
    commandTimeout: opts.commandTimeoutMs,
    // with a command timeout, a command whose reply was lost fails (the caller knows it is unclear)
    // instead of being sent again after a reconnect — a settlement or a balance delta must not run twice
    autoResendUnfulfilledCommands: opts.commandTimeoutMs === undefined,
    enableOfflineQueue: opts.offlineQueue ?? false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
}

/** Whether a command failed because Redis did not answer in time (`commandTimeoutMs`). */
export function isRedisTimeout(err: unknown): boolean {
  return err instanceof Error && err.message.includes('Command timed out');
}

/**
 * Whether a command failed because Redis could not be reached (timed out, connection closing or
 * closed, retries exhausted) — as opposed to Redis answering with an error.
 */
export function isRedisUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const m = err.message;
  return (
    isRedisTimeout(err) ||
    m.includes("Stream isn't writeable") ||
    m.includes('Connection is closed') ||
    m.includes('max retries per request') ||
    m.includes('ECONNREFUSED') ||
    m.includes('ECONNRESET')
  );
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
