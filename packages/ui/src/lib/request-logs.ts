import { formatUnitsAsMoney, type MoneyDisplay } from '@tollgate/shared/quota-display.ts';
import { createSignal } from 'solid-js';
import type { MessageKey } from '~/i18n/index.ts';
import { dateFormat, numberFormat } from './format.ts';
import type { RouterInputs, RouterOutputs } from './types.ts';

export type AdminLogPage = RouterOutputs['logs']['search'];
export type AdminLog = AdminLogPage['rows'][number];
export type OwnLogPage = RouterOutputs['logs']['mine'];
export type OwnLog = OwnLogPage['rows'][number];
export type AdminLogFilter = Omit<RouterInputs['logs']['search'], 'cursor' | 'limit'>;
export type OwnLogFilter = Omit<RouterInputs['logs']['mine'], 'cursor' | 'limit'>;

export const LOG_PAGE_SIZE = 50;

/** Status choices of the filter: classes first, then the codes people look for most. */
export const STATUS_CHOICES = ['ok', 'error', 400, 401, 403, 404, 413, 429, 499, 500, 502, 503, 504] as const;
export const KIND_CHOICES = ['usage', 'topup', 'adjust'] as const;

/** Keyset pages: a stack of cursors, so "previous" goes back exactly to the page it came from. */
export function createCursorPages() {
  const [stack, setStack] = createSignal<(string | undefined)[]>([undefined]);
  return {
    cursor: () => stack().at(-1),
    page: () => stack().length,
    next: (cursor: string) => setStack([...stack(), cursor]),
    prev: () => setStack(stack().length > 1 ? stack().slice(0, -1) : stack()),
    reset: () => setStack([undefined]),
  };
}

/** A `<input type="date">` value as local midnight (epoch ms), or undefined when empty/invalid. */
export function dayStart(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
}

/** The end of a date range picked as an inclusive day: local midnight of the day after. */
export function dayEnd(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1).getTime();
}

/** The status select's value as the filter's `status`. */
export function statusFilter(value: string): 'ok' | 'error' | number | undefined {
  if (value === 'ok' || value === 'error') return value;
  return /^\d{3}$/.test(value) ? Number(value) : undefined;
}

/** The export URL for a filter (the same fields as the search; empty ones left out). */
export function exportHref(path: string, filter: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Drops empty strings and undefined, so the server sees only the filters that are set. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
}

export function money(units: number, display: MoneyDisplay): string {
  return formatUnitsAsMoney(units, display);
}

/** Badge class of an HTTP status (0 = not a request: a top-up or an adjustment). */
export function statusClass(code: number): string {
  if (code >= 200 && code < 300) return 'badge badge-ok';
  if (code >= 400 && code < 500) return 'badge badge-warn';
  if (code >= 500) return 'badge badge-danger';
  return 'badge badge-plain';
}

export function kindLabel(kind: string): MessageKey {
  if (kind === 'topup') return 'logs.kind.topup';
  if (kind === 'adjust') return 'logs.kind.adjust';
  return 'logs.kind.usage';
}

/** Time of a row to the second, in the viewer's time zone. */
export function formatLogTime(ms: number): string {
  return dateFormat({
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(ms);
}

export function formatMs(ms: number | null | undefined): string {
  return typeof ms === 'number' ? `${numberFormat().format(ms)} ms` : '—';
}
