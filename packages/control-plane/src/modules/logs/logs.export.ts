import { unitsToDecimal } from '@tollgate/shared/quota-display.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import { readCookie, SESSION_COOKIE, sessionUser } from '../auth/sessions.ts';
import { type LogConditions, type LogCursor, logConditions } from './logs.queries.ts';
import { logFilterSchema, ownLogFilterSchema } from './logs.schemas.ts';
import {
  type AdminLogRow,
  adminConditions,
  fetchAdminRows,
  fetchOwnRows,
  type LogMoneyDisplay,
  moneyDisplay,
  type OwnLogRow,
  ownConditions,
} from './logs.service.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now' | 'logger'>;

/** Rows read from the database per query while streaming an export. */
export const EXPORT_BATCH = 1_000;

/** `admin`: every user's rows with all filters; `mine`: the signed-in user's own rows. */
export type ExportScope = 'admin' | 'mine';

/** First characters a spreadsheet would read as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A CSV field (RFC 4180) from text that may come from a caller (model names, key names, notes…): a
 * leading `= + - @` (or tab / CR) gets a `'` so spreadsheets show it instead of evaluating it, and a
 * field holding `"`, `,`, CR or LF is quoted with its quotes doubled.
 * @see https://www.rfc-editor.org/rfc/rfc4180
 * @see https://owasp.org/www-community/attacks/CSV_Injection
 */
export function csvText(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  return csvPlain(FORMULA_START.test(value) ? `'${value}` : value);
}

/** A CSV field for a value this module generated (numbers, ISO times, decimals): quoted only if needed. */
export function csvPlain(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

interface Column<Row> {
  header: string;
  cell(row: Row, display: LogMoneyDisplay): string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The columns both exports have, by name. */
function sharedColumns<Row extends OwnLogRow>() {
  const col = (header: string, cell: Column<Row>['cell']): Column<Row> => ({ header, cell });
  return {
    time: col('time', (r) => csvPlain(iso(r.createdAt))),
    requestId: col('request_id', (r) => csvText(r.requestId)),
    kind: col('kind', (r) => csvText(r.kind)),
    keyId: col('key_id', (r) => csvPlain(r.tokenId)),
    keyName: col('key_name', (r) => csvText(r.tokenName)),
    model: col('model', (r) => csvText(r.model)),
    promptTokens: col('prompt_tokens', (r) => csvPlain(r.promptTokens)),
    cachedTokens: col('cached_tokens', (r) => csvPlain(r.cachedTokens)),
    completionTokens: col('completion_tokens', (r) => csvPlain(r.completionTokens)),
    cost: col('cost', (r) => csvPlain(r.cost)),
    costDisplay: col('cost_display', (r, d) => csvPlain(unitsToDecimal(r.cost, d.quotaPerUnit))),
    currency: col('currency', (_r, d) => csvPlain(d.currency)),
    latency: col('latency_ms', (r) => csvPlain(r.latencyMs)),
    ttft: col('ttft_ms', (r) => csvPlain(r.ttftMs)),
    stream: col('stream', (r) => csvPlain(r.stream)),
    status: col('status', (r) => csvPlain(r.statusCode)),
    errorCode: col('error_code', (r) => csvText(r.errorCode)),
    ip: col('ip', (r) => csvText(r.ip)),
    note: col('note', (r) => csvText(r.note)),
  };
}

const own = sharedColumns<OwnLogRow>();
/** The columns of a user's own export: no user, channel, upstream model or channel cost. */
export const OWN_COLUMNS: Column<OwnLogRow>[] = [
  own.time,
  own.requestId,
  own.kind,
  own.keyId,
  own.keyName,
  own.model,
  own.promptTokens,
  own.cachedTokens,
  own.completionTokens,
  own.cost,
  own.costDisplay,
  own.currency,
  own.latency,
  own.ttft,
  own.stream,
  own.status,
  own.errorCode,
  own.ip,
  own.note,
];

const adm = sharedColumns<AdminLogRow>();
/** The columns of the operator's export. */
export const ADMIN_COLUMNS: Column<AdminLogRow>[] = [
  adm.time,
  adm.requestId,
  adm.kind,
  { header: 'user_id', cell: (r) => csvPlain(r.userId) },
  { header: 'user_email', cell: (r) => csvText(r.userEmail) },
  adm.keyId,
  adm.keyName,
  adm.model,
  { header: 'upstream_model', cell: (r) => csvText(r.upstreamModel) },
  { header: 'channel_id', cell: (r) => csvPlain(r.channelId) },
  { header: 'channel', cell: (r) => csvText(r.channelName) },
  adm.promptTokens,
  adm.cachedTokens,
  adm.completionTokens,
  adm.cost,
  adm.costDisplay,
  adm.currency,
  { header: 'channel_cost', cell: (r) => csvPlain(r.channelCost) },
  adm.latency,
  adm.ttft,
  adm.stream,
  adm.status,
  adm.errorCode,
  adm.ip,
  adm.note,
];

const line = (cells: string[]) => `${cells.join(',')}\r\n`;

/**
 * The CSV of every row matching `conditions`, oldest first, as a byte stream that reads the
 * database one batch at a time (keyset on `(createdAt, id)`) only when the consumer asks for more:
 * memory stays flat however many rows match.
 */
export function logsCsvStream(
  deps: Deps,
  scope: ExportScope,
  conditions: LogConditions,
  opts: { batchSize?: number } = {},
): ReadableStream<Uint8Array> {
  const batch = opts.batchSize ?? EXPORT_BATCH;
  const encoder = new TextEncoder();
  const where = logConditions(conditions);
  const { db } = deps.db;
  let display: LogMoneyDisplay | undefined;
  let after: LogCursor | undefined;
  let cancelled = false;

  /** The next batch as CSV lines; `done` once a batch comes back short. */
  async function nextChunk(): Promise<{ text: string; done: boolean }> {
    const o = { after, order: 'asc' as const, limit: batch };
    const lines =
      scope === 'admin'
        ? (await fetchAdminRows(db, where, o)).map((r) => {
            after = r;
            return line(ADMIN_COLUMNS.map((c) => c.cell(r, display!)));
          })
        : (await fetchOwnRows(db, where, o)).map((r) => {
            after = r;
            return line(OWN_COLUMNS.map((c) => c.cell(r, display!)));
          });
    return { text: lines.join(''), done: lines.length < batch };
  }

  return new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        display = await moneyDisplay(deps);
        const headers = (scope === 'admin' ? ADMIN_COLUMNS : OWN_COLUMNS).map((c) => c.header);
        controller.enqueue(encoder.encode(line(headers)));
      },
      async pull(controller) {
        try {
          const { text, done } = await nextChunk();
          if (cancelled) return;
          if (text) controller.enqueue(encoder.encode(text));
          if (done) controller.close();
        } catch (err) {
          deps.logger.error({ err }, 'log export failed');
          controller.error(new Error('log export failed'));
        }
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 1 },
  );
}

type ParsedFilter = { ok: true; conditions: LogConditions } | { ok: false; message: string };

/** `from`/`to` as epoch ms, or an ISO 8601 date/time. */
function timeParam(v: string): number | string {
  if (/^\d+$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? v : ms;
}

/**
 * The export filter from a query string: the same fields and rules as the `logs.search` /
 * `logs.mine` inputs. Empty parameters are ignored; a user's export is always their own rows
 * (`user`/`channelId` are not theirs to set and are ignored).
 */
export function parseExportParams(params: URLSearchParams, scope: ExportScope, userId: number): ParsedFilter {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const v = value.trim();
    if (v === '') continue;
    if (key === 'from' || key === 'to') raw[key] = timeParam(v);
    else if (key === 'tokenId' || key === 'channelId') raw[key] = /^\d+$/.test(v) ? Number(v) : v;
    else if (key === 'status') raw[key] = /^\d+$/.test(v) ? Number(v) : v;
    else raw[key] = v;
  }
  if (scope === 'admin') {
    const parsed = logFilterSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, message: issueText(parsed.error.issues[0]) };
    return { ok: true, conditions: adminConditions(parsed.data) };
  }
  const parsed = ownLogFilterSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, message: issueText(parsed.error.issues[0]) };
  return { ok: true, conditions: ownConditions(userId, parsed.data) };
}

function issueText(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (!issue) return 'invalid filter';
  return issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}

function plain(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/**
 * The whole export request: session cookie → user (401 without one), role (403 for a user on the
 * admin export), filter (400), then `200 text/csv` streamed as an attachment.
 */
export async function exportLogsResponse(
  deps: Deps,
  request: Request,
  scope: ExportScope,
): Promise<Response> {
  const user = await sessionUser(deps, readCookie(request.headers.get('cookie'), SESSION_COOKIE));
  if (!user) return plain(401, 'please sign in');
  if (scope === 'admin' && user.role !== 'admin') return plain(403, 'admins only');
  const filter = parseExportParams(new URL(request.url).searchParams, scope, user.id);
  if (!filter.ok) return plain(400, filter.message);
  const stamp = new Date(deps.now())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const name = `${scope === 'admin' ? 'tollgate-logs' : 'tollgate-usage'}-${stamp}.csv`;
  return new Response(logsCsvStream(deps, scope, filter.conditions), {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}
