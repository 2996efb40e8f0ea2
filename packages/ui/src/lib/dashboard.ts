import { t } from '~/i18n/index.ts';
import { dateFormat, numberFormat } from './format.ts';

/** The preset lengths of the range picker, in days. */
export const RANGE_PRESETS = [7, 30, 90] as const;
/** Longest range the server serves (stats.schemas.ts MAX_RANGE_DAYS). */
export const MAX_RANGE_DAYS = 366;

/** What the range picker holds: dates are local calendar days, `to` inclusive. */
export interface RangeChoice {
  preset: (typeof RANGE_PRESETS)[number] | 'custom';
  from: string;
  to: string;
}

/** What a stats procedure takes: `[from, to)` in epoch ms and the viewer's UTC offset for day buckets. */
export interface RangeInput {
  from: number;
  to: number;
  tzOffsetMinutes: number;
}

/** A local date as `YYYY-MM-DD`. */
export function isoDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function localMidnight(iso: string): Date {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(y!, m! - 1, d!);
}

/** The last `days` days, today included. */
export function presetChoice(days: (typeof RANGE_PRESETS)[number], now = new Date()): RangeChoice {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
  return { preset: days, from: isoDate(start), to: isoDate(now) };
}

/** Whole local days from `from` to `to` inclusive (0 or less when reversed). */
export function daysIn(choice: Pick<RangeChoice, 'from' | 'to'>): number {
  const from = localMidnight(choice.from);
  const end = localMidnight(choice.to);
  end.setDate(end.getDate() + 1);
  return Math.round((end.getTime() - from.getTime()) / 86_400_000);
}

/** A validation message for a custom range, or undefined when it can be sent. */
export function rangeProblem(choice: Pick<RangeChoice, 'from' | 'to'>): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(choice.from) || !/^\d{4}-\d{2}-\d{2}$/.test(choice.to))
    return t('range.invalid');
  const n = daysIn(choice);
  if (n < 1) return t('range.invalid');
  if (n > MAX_RANGE_DAYS) return t('range.tooLong', { n: MAX_RANGE_DAYS });
  return undefined;
}

/** The picker's choice as procedure input: local midnight of `from` to local midnight after `to`. */
export function rangeInput(choice: RangeChoice): RangeInput {
  const from = localMidnight(choice.from);
  const end = localMidnight(choice.to);
  end.setDate(end.getDate() + 1);
  return { from: from.getTime(), to: end.getTime(), tzOffsetMinutes: -from.getTimezoneOffset() };
}

/** A `YYYY-MM-DD` day bucket as a short label ("Jan 9"), independent of the viewer's time zone. */
export function formatDay(day: string, opts: { year?: boolean } = {}): string {
  return dateFormat({
    month: 'short',
    day: 'numeric',
    ...(opts.year ? { year: 'numeric' as const } : {}),
    timeZone: 'UTC',
  }).format(new Date(`${day}T00:00:00Z`));
}

/** A fraction as a percentage ("3.2 %"), or "—" when there is nothing to divide. */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return t('common.none');
  return numberFormat({
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(fraction);
}

/** Milliseconds as "840 ms" or "1.25 s". */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return t('common.none');
  if (ms < 1000) return `${numberFormat().format(Math.round(ms))} ms`;
  return `${numberFormat({ maximumFractionDigits: 2 }).format(ms / 1000)} s`;
}

/** Large counts in short form ("12.3K", "4.5M") for cards and axes. */
export function formatCompact(n: number): string {
  return numberFormat({ notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/** Series colours: the accent first, then well-separated hues; the last is for "other". */
export const PALETTE = [
  '#4f46e5',
  '#0ea5e9',
  '#10b981',
  '#f59e0b',
  '#ef4444',
  '#8b5cf6',
  '#ec4899',
  '#14b8a6',
  '#f97316',
  '#84cc16',
] as const;
export const OTHER_COLOR = '#cbd5e1';
