import { t } from '~/i18n/index.ts';

/** A date (epoch ms) as a short local date, or "Never"/"—". */
export function formatDate(ms: number | null | undefined, empty: 'never' | 'none' = 'none'): string {
  if (ms === null || ms === undefined || ms === 0)
    return empty === 'never' ? t('common.never') : t('common.none');
  return new Date(ms).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatDateTime(ms: number | null | undefined): string {
  if (!ms) return t('common.none');
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatNumber(n: number | null | undefined): string {
  return typeof n === 'number' ? n.toLocaleString() : t('common.none');
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
