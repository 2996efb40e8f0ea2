import type { Database } from '@tollgate/shared/db/index.ts';
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import { DAY_MS, type StatsRange } from './stats.schemas.ts';

/** Which log rows a dashboard reads: usage rows of the range, of one user when `userId` is set. */
export interface StatsScope {
  range: StatsRange;
  userId?: number;
}

type LogsEb = ExpressionBuilder<Database, 'logs'>;

/** `kind = 'usage'` rows inside `[from, to)` (served by the `logs_time` / `logs_user_time` indexes). */
function inScope(scope: StatsScope) {
  return (eb: LogsEb) => {
    const conds = [
      eb('logs.kind', '=', 'usage'),
      eb('logs.createdAt', '>=', scope.range.from),
      eb('logs.createdAt', '<', scope.range.to),
    ];
    if (scope.userId !== undefined) conds.push(eb('logs.userId', '=', scope.userId));
    return eb.and(conds);
  };
}

/** 1 for a failed request (HTTP status ≥ 400), else 0: summed, the error count. */
function failed(eb: LogsEb) {
  return eb.case().when('logs.statusCode', '>=', 400).then(1).else(0).end();
}

/**
 * The day a row falls on, as whole days since the epoch, shifted to the viewer's local midnight.
 * `floor(ms / 86400000)` reads the same on MySQL and SQLite; both constants are integers inlined as
 * literals, so the grouped expression is one text on either dialect.
 */
function dayBucket(range: StatsRange) {
  return sql<number>`floor((${sql.ref('logs.createdAt')} + ${sql.lit(range.tzOffsetMinutes * 60_000)}) / ${sql.lit(DAY_MS)})`;
}

/** Counts and sums over the whole scope (SUM/COUNT may be strings on MariaDB: read them with `num`). */
export function selectTotals(db: Kysely<Database>, scope: StatsScope) {
  return db
    .selectFrom('logs')
    .where(inScope(scope))
    .select((eb) => [
      eb.fn.countAll().as('requests'),
      eb.fn.sum(failed(eb)).as('errors'),
      eb.fn.sum('logs.promptTokens').as('promptTokens'),
      eb.fn.sum('logs.cachedTokens').as('cachedTokens'),
      eb.fn.sum('logs.completionTokens').as('completionTokens'),
      eb.fn.sum('logs.cost').as('revenue'),
      eb.fn.sum('logs.channelCost').as('cost'),
      eb.fn.count('logs.userId').distinct().as('activeUsers'),
    ])
    .executeTakeFirstOrThrow();
}

/** One row per day that has traffic (days without any are filled in by the service). */
export function selectDaily(db: Kysely<Database>, scope: StatsScope) {
  return db
    .selectFrom('logs')
    .where(inScope(scope))
    .select((eb) => [
      dayBucket(scope.range).as('bucket'),
      eb.fn.countAll().as('requests'),
      eb.fn.sum(failed(eb)).as('errors'),
      eb.fn.sum('logs.promptTokens').as('promptTokens'),
      eb.fn.sum('logs.completionTokens').as('completionTokens'),
      eb.fn.sum('logs.cost').as('revenue'),
      eb.fn.sum('logs.channelCost').as('cost'),
    ])
    .groupBy(sql.ref('bucket'))
    .orderBy(sql.ref('bucket'))
    .execute();
}

/** The `limit` most requested models, most requested first. */
export function selectTopModels(db: Kysely<Database>, scope: StatsScope, limit: number) {
  return db
    .selectFrom('logs')
    .where(inScope(scope))
    .select((eb) => [
      'logs.model',
      eb.fn.countAll().as('requests'),
      eb.fn.sum('logs.promptTokens').as('promptTokens'),
      eb.fn.sum('logs.completionTokens').as('completionTokens'),
      eb.fn.sum('logs.cost').as('revenue'),
    ])
    .groupBy('logs.model')
    .orderBy('requests', 'desc')
    .orderBy('logs.model')
    .limit(limit)
    .execute();
}

/** The `limit` users who spent the most in the scope, with their e-mail (null once deleted). */
export function selectTopUsers(db: Kysely<Database>, scope: StatsScope, limit: number) {
  return db
    .selectFrom('logs')
    .leftJoin('users', 'users.id', 'logs.userId')
    .where(inScope(scope))
    .select((eb) => [
      'logs.userId',
      'users.email',
      eb.fn.countAll().as('requests'),
      eb.fn.sum('logs.cost').as('revenue'),
      eb.fn.sum('logs.channelCost').as('cost'),
    ])
    .groupBy(['logs.userId', 'users.email'])
    .orderBy('revenue', 'desc')
    .orderBy('logs.userId')
    .limit(limit)
    .execute();
}

/** Requests and failures per channel that served traffic (name null once the channel is deleted). */
export function selectChannels(db: Kysely<Database>, scope: StatsScope, limit: number) {
  return db
    .selectFrom('logs')
    .leftJoin('channels', 'channels.id', 'logs.channelId')
    .where(inScope(scope))
    .where('logs.channelId', 'is not', null)
    .select((eb) => [
      'logs.channelId',
      'channels.name',
      eb.fn.countAll().as('requests'),
      eb.fn.sum(failed(eb)).as('failures'),
      eb.fn.avg('logs.latencyMs').as('avgLatencyMs'),
    ])
    .groupBy(['logs.channelId', 'channels.name'])
    .orderBy('requests', 'desc')
    .orderBy('logs.channelId')
    .limit(limit)
    .execute();
}

/**
 * Usage per key of one user. The join also matches the key's owner, so a key name never crosses
 * users even if a log row were mis-attributed; a deleted key has a null name.
 */
export function selectKeys(db: Kysely<Database>, scope: StatsScope & { userId: number }, limit: number) {
  return db
    .selectFrom('logs')
    .leftJoin('tokens', (join) =>
      join.onRef('tokens.id', '=', 'logs.tokenId').on('tokens.userId', '=', scope.userId),
    )
    .where(inScope(scope))
    .select((eb) => [
      'logs.tokenId',
      'tokens.name',
      eb.fn.countAll().as('requests'),
      eb.fn.sum('logs.promptTokens').as('promptTokens'),
      eb.fn.sum('logs.completionTokens').as('completionTokens'),
      eb.fn.sum('logs.cost').as('cost'),
    ])
    .groupBy(['logs.tokenId', 'tokens.name'])
    .orderBy('cost', 'desc')
    .orderBy('logs.tokenId')
    .limit(limit)
    .execute();
}

/** How many successful requests of the scope have a latency: the population of the percentiles. */
export function countLatencySamples(db: Kysely<Database>, scope: StatsScope) {
  return db
    .selectFrom('logs')
    .where(inScope(scope))
    .where('logs.statusCode', '<', 400)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
}

/**
 * The latency at 0-based rank `offset` of the successful requests, in ascending order. The database
 * sorts and skips; one row crosses the wire, whatever the range holds.
 */
export function latencyAtRank(db: Kysely<Database>, scope: StatsScope, offset: number) {
  return db
    .selectFrom('logs')
    .where(inScope(scope))
    .where('logs.statusCode', '<', 400)
    .select('logs.latencyMs')
    .orderBy('logs.latencyMs')
    .limit(1)
    .offset(offset)
    .executeTakeFirst();
}

/** A user's balance and lifetime spend. */
export function selectBalance(db: Kysely<Database>, userId: number) {
  return db.selectFrom('users').select(['balance', 'usedQuota']).where('id', '=', userId).executeTakeFirst();
}
