import type { ControlPlaneDeps } from '../../deps.ts';
import { readCookie, SESSION_COOKIE, sessionUser } from '../auth/sessions.ts';
import { batchNameSchema } from '../codes/codes.schemas.ts';
import { exportBatch } from '../codes/codes.service.ts';
import { csvPlain, csvText } from '../logs/logs.export.ts';
import { getStatement, monthSchema } from '../statements/statements.service.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'now' | 'settingsBox' | 'cfg' | 'publisher'>;

function plain(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function csv(name: string, lines: string[][]): Response {
  return new Response(lines.map((l) => `${l.join(',')}\r\n`).join(''), {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

/** `GET /api/export/codes.csv?batch=…`: a batch of redemption codes with plaintexts (admins only). */
export async function codesCsvResponse(deps: Deps, request: Request): Promise<Response> {
  const user = await sessionUser(deps, readCookie(request.headers.get('cookie'), SESSION_COOKIE));
  if (!user) return plain(401, 'please sign in');
  if (user.role !== 'admin') return plain(403, 'admins only');
  const batch = batchNameSchema.safeParse(new URL(request.url).searchParams.get('batch') ?? '');
  if (!batch.success) return plain(400, 'batch: a batch name');
  const rows = await exportBatch(deps, batch.data);
  if (rows.length === 0) return plain(404, 'no such batch');
  return csv(`tollgate-codes-${batch.data}.csv`, [
    ['code', 'value', 'status', 'expires_at', 'used_by', 'used_at', 'created_at'],
    ...rows.map((r) => [
      csvText(r.code),
      csvPlain(r.value),
      csvPlain(r.status),
      csvPlain(iso(r.expiresAt)),
      csvText(r.usedByEmail),
      csvPlain(iso(r.usedAt)),
      csvPlain(iso(r.createdAt)),
    ]),
  ]);
}

/**
 * `GET /api/export/statement.csv?month=YYYY-MM[&userId=]`: the caller's monthly statement, or any
 * user's for an admin, as CSV (quota units).
 */
export async function statementCsvResponse(deps: Deps, request: Request): Promise<Response> {
  const user = await sessionUser(deps, readCookie(request.headers.get('cookie'), SESSION_COOKIE));
  if (!user) return plain(401, 'please sign in');
  const params = new URL(request.url).searchParams;
  const month = monthSchema.safeParse(params.get('month') ?? '');
  if (!month.success) return plain(400, 'month: a month as YYYY-MM');
  let userId = user.id;
  const asked = params.get('userId');
  if (asked && asked !== String(user.id)) {
    if (user.role !== 'admin') return plain(403, 'admins only');
    if (!/^\d{1,15}$/.test(asked)) return plain(400, 'userId: a user id');
    userId = Number(asked);
  }
  const s = await getStatement(deps, userId, month.data);
  return csv(`tollgate-statement-${month.data}${userId === user.id ? '' : `-user${userId}`}.csv`, [
    ['section', 'item', 'requests', 'prompt_tokens', 'completion_tokens', 'quota'],
    ['summary', 'opening_balance', '', '', '', csvPlain(s.opening)],
    ['summary', 'topups', '', '', '', csvPlain(s.topups)],
    ['summary', 'refunds', '', '', '', csvPlain(s.refunds)],
    ['summary', 'adjustments', '', '', '', csvPlain(s.adjustments)],
    ['summary', 'usage', csvPlain(s.requests), '', '', csvPlain(s.usage)],
    ['summary', 'closing_balance', '', '', '', csvPlain(s.closing)],
    ...s.usageByModel.map((m) => [
      'usage_by_model',
      csvText(m.model),
      csvPlain(m.requests),
      csvPlain(m.promptTokens),
      csvPlain(m.completionTokens),
      csvPlain(m.cost),
    ]),
  ]);
}
