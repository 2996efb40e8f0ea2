import { intlLocale, t } from '~/i18n/index.ts';

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "3 minutes ago", "in 2 days" (the viewer's locale); "just now" under a minute; `empty` when unset. */
export function formatRelative(ms: number | null | undefined, now: number, empty: string): string {
  if (!ms) return empty;
  const diff = ms - now;
  const abs = Math.abs(diff);
  if (abs < 60_000) return t('time.justNow');
  const fmt = new Intl.RelativeTimeFormat(intlLocale(), { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (abs >= size) return fmt.format(Math.round(diff / size), unit);
  }
  return t('time.justNow');
}
