import type { Database } from '@tollgate/shared/db/index.ts';
import { num } from '@tollgate/shared/db/index.ts';
import { type Expression, expressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { LogKind, LogStatusFilter } from './logs.schemas.ts';

type Db = Kysely<Database>;

/** A resolved filter: every field narrows the rows (AND). `userId` is forced for a user's own view. */
export interface LogConditions {
  userId?: number;
  userEmail?: string;
  tokenId?: number;
  channelId?: number;
  model?: string;
  status?: LogStatusFilter;
  kind?: LogKind;
  /** epoch ms, inclusive */
  from?: number;
  /** epoch ms, exclusive */
  to?: number;
  requestIdPrefix?: string;
}

/** A keyset position: the `(createdAt, id)` of the last row already returned. */
export interface LogCursor {
  createdAt: number;
  id: number;
}

export type LogOrder = 'asc' | 'desc';

/**
 * The WHERE clause of a filter, on qualified `logs.*` columns so it fits both the plain and the joined
 * queries. Every branch is index-friendly (`logs_user_time`, `logs_token_time`, `logs_channel_time`,
 * `logs_time`, the unique request id) except `model`, which narrows what those indexes return.
 */
export function logConditions(c: LogConditions): Expression<SqlBool> {
  const eb = expressionBuilder<Database, 'logs'>();
  const parts: Expression<SqlBool>[] = [];
  if (c.userId !== undefined) parts.push(eb('logs.userId', '=', c.userId));
  if (c.userEmail !== undefined)
    parts.push(
      eb(
        'logs.userId',
        'in',
        eb.selectFrom('users').select('users.id').where('users.email', '=', c.userEmail.toLowerCase()),
      ),
    );
  if (c.tokenId !== undefined) parts.push(eb('logs.tokenId', '=', c.tokenId));
  if (c.channelId !== undefined) parts.push(eb('logs.channelId', '=', c.channelId));
  if (c.model !== undefined) parts.push(eb('logs.model', '=', c.model));
  if (c.kind !== undefined) parts.push(eb('logs.kind', '=', c.kind));
  if (c.from !== undefined) parts.push(eb('logs.createdAt', '>=', c.from));
  if (c.to !== undefined) parts.push(eb('logs.createdAt', '<', c.to));
  if (c.status === 'ok') parts.push(eb.between('logs.statusCode', 200, 299));
  else if (c.status === 'error') parts.push(eb.between('logs.statusCode', 400, 599));
  else if (c.status !== undefined) parts.push(eb('logs.statusCode', '=', c.status));
  if (c.requestIdPrefix !== undefined) {
    // `!` escapes LIKE wildcards the same way on MySQL and SQLite (as users.service containsText does)
    const pattern = `${c.requestIdPrefix.replace(/[!%_]/g, (ch) => `!${ch}`)}%`;
    parts.push(sql<SqlBool>`${sql.ref('logs.requestId')} like ${pattern} escape '!'`);
  }
  return eb.and(parts);
}

/** One row by id (optionally only if it belongs to `userId`). */
export function logById(id: number, userId?: number): Expression<SqlBool> {
  const eb = expressionBuilder<Database, 'logs'>();
  return userId === undefined
    ? eb('logs.id', '=', id)
    : eb.and([eb('logs.id', '=', id), eb('logs.userId', '=', userId)]);
}

/**
 * Rows strictly after `cursor` in `(createdAt, id)` order. Written as `createdAt ≥ t AND (createdAt > t
 * OR id > i)` rather than a row comparison so both dialects see a plain range on the time indexes
 * (which end in the primary key).
 */
export function afterCursor(cursor: LogCursor, order: LogOrder): Expression<SqlBool> {
  const eb = expressionBuilder<Database, 'logs'>();
  const [edge, strict] = order === 'desc' ? (['<=', '<'] as const) : (['>=', '>'] as const);
  return eb.and([
    eb('logs.createdAt', edge, cursor.createdAt),
    eb.or([eb('logs.createdAt', strict, cursor.createdAt), eb('logs.id', strict, cursor.id)]),
  ]);
}

/** Everything about a row, for the operator: user e-mail, key name and channel name joined. */
const adminColumns = [
  'logs.id',
  'logs.requestId',
  'logs.createdAt',
  'logs.kind',
  'logs.userId',
  'users.email as userEmail',
  'logs.tokenId',
  'tokens.name as tokenName',
  'logs.model',
  'logs.upstreamModel',
  'logs.channelId',
  'channels.name as channelName',
  'logs.triedChannels',
  'logs.promptTokens',
  'logs.cachedTokens',
  'logs.completionTokens',
  'logs.cost',
  'logs.channelCost',
  'logs.latencyMs',
  'logs.ttftMs',
  'logs.isStream',
  'logs.statusCode',
  'logs.errorCode',
  'logs.ip',
  'logs.note',
] as const;

/**
 * What a user may see of their own rows: no channel (id, name, tried list), no channel cost and no
 * upstream model name — those describe the operator's routing, not the user's request.
 */
const ownColumns = [
  'logs.id',
  'logs.requestId',
  'logs.createdAt',
  'logs.kind',
  'logs.tokenId',
  'tokens.name as tokenName',
  'logs.model',
  'logs.promptTokens',
  'logs.cachedTokens',
  'logs.completionTokens',
  'logs.cost',
  'logs.latencyMs',
  'logs.ttftMs',
  'logs.isStream',
  'logs.statusCode',
  'logs.errorCode',
  'logs.ip',
  'logs.note',
] as const;

/** Where a page starts, which way it runs and how many rows it holds. */
export interface PageOptions {
  after?: LogCursor;
  order: LogOrder;
  limit: number;
}

function withKeyset(where: Expression<SqlBool>, o: PageOptions): Expression<SqlBool> {
  if (!o.after) return where;
  return expressionBuilder<Database, 'logs'>().and([where, afterCursor(o.after, o.order)]);
}

/** A page of rows for the admin, in `(createdAt, id)` order. */
export function selectAdminLogs(db: Db, where: Expression<SqlBool>, o: PageOptions) {
  return db
    .selectFrom('logs')
    .leftJoin('users', 'users.id', 'logs.userId')
    .leftJoin('tokens', 'tokens.id', 'logs.tokenId')
    .leftJoin('channels', 'channels.id', 'logs.channelId')
    .select(adminColumns)
    .where(withKeyset(where, o))
    .orderBy('logs.createdAt', o.order)
    .orderBy('logs.id', o.order)
    .limit(o.limit)
    .execute();
}

/** A page of one user's rows (the caller puts `userId` in `where`), in `(createdAt, id)` order. */
export function selectOwnLogs(db: Db, where: Expression<SqlBool>, o: PageOptions) {
  return db
    .selectFrom('logs')
    .leftJoin('tokens', (join) =>
      join.onRef('tokens.id', '=', 'logs.tokenId').onRef('tokens.userId', '=', 'logs.userId'),
    )
    .select(ownColumns)
    .where(withKeyset(where, o))
    .orderBy('logs.createdAt', o.order)
    .orderBy('logs.id', o.order)
    .limit(o.limit)
    .execute();
}

export type AdminLogRecord = Awaited<ReturnType<typeof selectAdminLogs>>[number];
export type OwnLogRecord = Awaited<ReturnType<typeof selectOwnLogs>>[number];

/** Rows matching `where`, counted up to `cap + 1` only (so a huge table costs at most that many). */
export async function countLogsCapped(db: Db, where: Expression<SqlBool>, cap: number): Promise<number> {
  const row = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('logs')
        .select('logs.id')
        .where(where)
        .limit(cap + 1)
        .as('capped'),
    )
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return num(row.n);
}
