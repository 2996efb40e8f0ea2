import { intlLocale, t } from '~/i18n/index.ts';

/*
 * Dates and numbers in the active language (Intl with an explicit locale, so the server render and
 * the browser agree): "May 3, 2025" / "2025年5月3日", "1,234.5".
 */

const cache = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

/** A cached `Intl.DateTimeFormat` for the active language. */
export function dateFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${intlLocale()}|${JSON.stringify(options)}`;
  let f = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) {
    f = new Intl.DateTimeFormat(intlLocale(), options);
    cache.set(key, f);
  }
  return f;
}

/** A cached `Intl.NumberFormat` for the active language. */
export function numberFormat(options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = `n|${intlLocale()}|${JSON.stringify(options)}`;
  let f = cache.get(key) as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(intlLocale(), options);
    cache.set(key, f);
  }
  return f;
}

/** A date (epoch ms) as a short local date, or "Never" (an expiry that never comes) / "—". */
export function formatDate(ms: number | null | undefined, empty: 'never' | 'none' = 'none'): string {
  if (ms === null || ms === undefined || ms === 0)
    return empty === 'never' ? t('common.neverExpires') : t('common.none');
  return dateFormat({ year: 'numeric', month: 'short', day: 'numeric' }).format(ms);
}

export function formatDateTime(ms: number | null | undefined): string {
  if (!ms) return t('common.none');
  return dateFormat({
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(ms);
}

/** A time of day to the second ("14:03:09"). */
export function formatTime(ms: number): string {
  return dateFormat({ hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ms);
}

export function formatNumber(n: number | null | undefined): string {
  return typeof n === 'number' ? numberFormat().format(n) : t('common.none');
}

/** "a, b , c" → ["a","b","c"] (empties dropped). */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Non-empty trimmed lines. */
export function splitLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
}
