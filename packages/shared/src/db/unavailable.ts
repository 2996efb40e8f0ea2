/*
 * Telling "the database cannot be reached right now" apart from every other database error, in one
 * place. The first kind is an outage (the server is down, restarting, out of connections, the network
 * is gone, the embedded file is locked by another writer): callers answer "unavailable, retry" (HTTP
 * 503) instead of "internal error", and never show the driver's text, which names hosts and ports.
 */

/** Node socket errors and mysql2 protocol errors of a connection that failed or broke. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  // server side: too many connections, shutting down, connection killed, read-only during failover
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_OPTION_PREVENTS_STATEMENT',
]);

/**
 * MySQL/MariaDB error numbers of the same situations, for errors that carry only `errno`:
 * 1040 too many connections, 1053 server shutdown, 1077 normal shutdown, 1203 too many user
 * connections, 1290 --read-only, 1927 connection killed, 2002/2003 cannot connect, 2006 server gone
 * away, 2013 lost connection during query.
 */
const SERVER_ERRNOS = new Set([1040, 1053, 1077, 1203, 1290, 1927, 2002, 2003, 2006, 2013]);

/** SQLite result codes: 5 SQLITE_BUSY, 6 SQLITE_LOCKED (another writer holds the file). */
const SQLITE_BUSY_CODES = new Set([5, 6]);

/** Messages of a pool or connection used after the server went away (mysql2 and Kysely's wording). */
const MESSAGES = [
  /can't add new command when connection is in closed state/i,
  /connection lost: the server closed the connection/i,
  /^connect ETIMEDOUT/,
  /^connect ECONNREFUSED/,
  /database is locked/i,
];

interface ErrorLike {
  code?: unknown;
  errno?: unknown;
  errcode?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function matchesOne(e: ErrorLike): boolean {
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  if (typeof e.errno === 'number' && SERVER_ERRNOS.has(e.errno)) return true;
  if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number' && SQLITE_BUSY_CODES.has(e.errcode))
    return true;
  // mysql2 marks errors that killed the connection as fatal; a fatal error is always an outage
  if ((e as { fatal?: unknown }).fatal === true && typeof e.code === 'string') return true;
  return typeof e.message === 'string' && MESSAGES.some((re) => re.test(e.message as string));
}

/**
 * True when `err` (or anything in its `cause` chain, or any error of an AggregateError) says the
 * SQL database cannot be reached right now, as opposed to a bad query, a constraint violation or a
 * bug. Safe on any value.
 */
export function isDbUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (matchesOne(e as ErrorLike)) return true;
    const { cause, errors } = e as ErrorLike;
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return false;
}

/** True when `err` comes from a database driver (its text may name tables, hosts or ports). */
export function isDriverError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as ErrorLike & { sqlState?: unknown; sqlMessage?: unknown };
  if (typeof e.sqlState === 'string' || typeof e.sqlMessage === 'string') return true;
  if (typeof e.code === 'string' && (e.code.startsWith('ER_') || e.code === 'ERR_SQLITE_ERROR')) return true;
  return isDbUnavailable(err);
}
