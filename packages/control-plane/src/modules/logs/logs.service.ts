import type { Expression, SqlBool } from 'kysely';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { getSettings } from '../settings/settings.service.ts';
import {
  type AdminLogRecord,
  countLogsCapped,
  type LogConditions,
  type LogCursor,
  logById,
  logConditions,
  type OwnLogRecord,
  type PageOptions,
  selectAdminLogs,
  selectOwnLogs,
} from './logs.queries.ts';
import type { LogFilter, OwnLogFilter, SearchLogsInput, SearchMyLogsInput } from './logs.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

/** Totals are counted up to this many rows; beyond it the page says "100,000+". */
export const COUNT_CAP = 100_000;

/** One log row as the operator sees it. */
export interface AdminLogRow {
  id: number;
  requestId: string;
  createdAt: number;
  kind: string;
  userId: number;
  userEmail: string | null;
  tokenId: number | null;
  tokenName: string | null;
  model: string;
  upstreamModel: string | null;
  channelId: number | null;
  channelName: string | null;
  /** channel ids tried before the one that answered, in order */
  triedChannels: number[];
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  /** quota units charged (negative for a top-up or a credit) */
  cost: number;
  /** quota units the upstream charges the operator */
  channelCost: number;
  latencyMs: number;
  ttftMs: number | null;
  stream: boolean;
  statusCode: number;
  errorCode: string | null;
  ip: string | null;
  note: string | null;
}

/** One of the caller's own rows: no channel, channel cost or upstream model. */
export type OwnLogRow = Omit<
  AdminLogRow,
  'userId' | 'userEmail' | 'upstreamModel' | 'channelId' | 'channelName' | 'triedChannels' | 'channelCost'
>;

/** How the pages show quota units as money (settings `quota_per_unit`, `display_currency`). */
export interface LogMoneyDisplay {
  quotaPerUnit: number;
  currency: 'USD' | 'CNY';
}

export interface LogPage<Row> {
  rows: Row[];
  /** pass as `cursor` for the next (older) page; null on the last page */
  nextCursor: string | null;
  /** rows matching the filter, at most {@link COUNT_CAP} */
  total: number;
  /** true when more than {@link COUNT_CAP} rows match */
  totalCapped: boolean;
  display: LogMoneyDisplay;
}

export function encodeCursor(row: { createdAt: number; id: number }): string {
  return `${row.createdAt}.${row.id}`;
}

/** The position a cursor names (the schema has checked its shape). */
export function decodeCursor(cursor: string): LogCursor {
  const [createdAt, id] = cursor.split('.').map(Number);
  if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(id))
    throw new ServiceError('BAD_REQUEST', 'invalid cursor');
  return { createdAt: createdAt!, id: id! };
}

/** The admin filter as query conditions: `user` is an id when it is all digits, else an e-mail. */
export function adminConditions(f: LogFilter): LogConditions {
  const { user, requestId, ...rest } = f;
  const c: LogConditions = { ...rest, ...(requestId ? { requestIdPrefix: requestId } : {}) };
  if (user !== undefined) {
    if (/^\d+$/.test(user)) {
      const id = Number(user);
      // an id no row can have still matches nothing, rather than everything
      c.userId = Number.isSafeInteger(id) ? id : -1;
    } else c.userEmail = user;
  }
  return c;
}

/** A user's filter, always narrowed to their own rows. */
export function ownConditions(userId: number, f: OwnLogFilter): LogConditions {
  const { requestId, ...rest } = f;
  return { ...rest, ...(requestId ? { requestIdPrefix: requestId } : {}), userId };
}

function triedList(text: string | null): number[] {
  if (!text) return [];
  return text
    .split(',')
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n > 0);
}

function toOwnRow(r: OwnLogRecord): OwnLogRow {
  return {
    id: Number(r.id),
    requestId: r.requestId,
    createdAt: Number(r.createdAt),
    kind: r.kind,
    tokenId: r.tokenId === null ? null : Number(r.tokenId),
    tokenName: r.tokenName ?? null,
    model: r.model,
    promptTokens: Number(r.promptTokens),
    cachedTokens: Number(r.cachedTokens),
    completionTokens: Number(r.completionTokens),
    cost: Number(r.cost),
    latencyMs: Number(r.latencyMs),
    ttftMs: r.ttftMs === null ? null : Number(r.ttftMs),
    stream: Number(r.isStream) === 1,
    statusCode: Number(r.statusCode),
    errorCode: r.errorCode,
    ip: r.ip,
    note: r.note,
  };
}

/** A joined record as the admin row (numbers normalised: MySQL may hand back strings for BIGINT). */
export function toAdminRow(r: AdminLogRecord): AdminLogRow {
  return {
    ...toOwnRow(r),
    userId: Number(r.userId),
    userEmail: r.userEmail ?? null,
    upstreamModel: r.upstreamModel,
    channelId: r.channelId === null ? null : Number(r.channelId),
    channelName: r.channelName ?? null,
    triedChannels: triedList(r.triedChannels),
    channelCost: Number(r.channelCost),
  };
}

/** The money display settings. */
export async function moneyDisplay(deps: Deps): Promise<LogMoneyDisplay> {
  const s = await getSettings(deps);
  return { quotaPerUnit: s.quota_per_unit, currency: s.display_currency };
}

type Fetch<Row> = (db: Deps['db']['db'], where: Expression<SqlBool>, o: PageOptions) => Promise<Row[]>;

async function page<Row extends { createdAt: number; id: number }>(
  deps: Deps,
  conditions: LogConditions,
  input: { cursor?: string; limit: number },
  fetch: Fetch<Row>,
): Promise<LogPage<Row>> {
  const { db } = deps.db;
  const where = logConditions(conditions);
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const [rows, count, display] = await Promise.all([
    fetch(db, where, { after, order: 'desc', limit: input.limit + 1 }),
    countLogsCapped(db, where, COUNT_CAP),
    moneyDisplay(deps),
  ]);
  const more = rows.length > input.limit;
  if (more) rows.length = input.limit;
  const last = rows.at(-1);
  return {
    rows,
    nextCursor: more && last ? encodeCursor(last) : null,
    total: Math.min(count, COUNT_CAP),
    totalCapped: count > COUNT_CAP,
    display,
  };
}

/** Admin rows of a page (joined, mapped). */
export const fetchAdminRows: Fetch<AdminLogRow> = async (db, where, o) =>
  (await selectAdminLogs(db, where, o)).map(toAdminRow);

/** A user's rows of a page (the caller's `where` holds their id). */
export const fetchOwnRows: Fetch<OwnLogRow> = async (db, where, o) =>
  (await selectOwnLogs(db, where, o)).map(toOwnRow);

/** Admin search over every user's rows, newest first, keyset-paginated. */
export function searchLogs(deps: Deps, input: SearchLogsInput): Promise<LogPage<AdminLogRow>> {
  const { cursor, limit, ...filter } = input;
  return page(deps, adminConditions(filter), { cursor, limit }, fetchAdminRows);
}

/** The caller's own rows, newest first, keyset-paginated. */
export function searchMyLogs(
  deps: Deps,
  userId: number,
  input: SearchMyLogsInput,
): Promise<LogPage<OwnLogRow>> {
  const { cursor, limit, ...filter } = input;
  return page(deps, ownConditions(userId, filter), { cursor, limit }, fetchOwnRows);
}

const notFound = () => new ServiceError('NOT_FOUND', 'log entry not found');

/** Any row, with everything (admin). */
export async function getLog(deps: Deps, id: number) {
  const [[row], display] = await Promise.all([
    fetchAdminRows(deps.db.db, logById(id), { order: 'desc', limit: 1 }),
    moneyDisplay(deps),
  ]);
  if (!row) throw notFound();
  return { row, display };
}

/** One of the caller's own rows; another user's row is NOT_FOUND, exactly like a missing one. */
export async function getMyLog(deps: Deps, userId: number, id: number) {
  const [[row], display] = await Promise.all([
    fetchOwnRows(deps.db.db, logById(id, userId), { order: 'desc', limit: 1 }),
    moneyDisplay(deps),
  ]);
  if (!row) throw notFound();
  return { row, display };
}
