import { intlLocale } from '~/i18n/index.ts';

/** How quota units become money: settings `quota_per_unit` (units per currency unit) and `display_currency`. */
export interface DisplayCurrency {
  quotaPerUnit: number;
  currency: string;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(
  currency: string,
  style: 'plain2' | 'plain4' | 'plain6' | 'compact' | 'small',
): Intl.NumberFormat {
  const locale = intlLocale();
  const key = `${locale}|${currency}|${style}`;
  let f = formatters.get(key);
  if (!f) {
    // "$" / "¥" in every language (zh-CN would say "US$", en "CN¥"), like the exact formatters elsewhere
    const base = { style: 'currency' as const, currency, currencyDisplay: 'narrowSymbol' as const };
    f = new Intl.NumberFormat(
      locale,
      style === 'compact'
        ? { ...base, notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 }
        : style === 'small'
          ? { ...base, maximumSignificantDigits: 2 }
          : { ...base, minimumFractionDigits: 2, maximumFractionDigits: Number(style.slice(5)) },
    );
    formatters.set(key, f);
  }
  return f;
}

/** Quota units → an amount of the display currency (a float, for display only). */
export function unitsToAmount(units: number, c: DisplayCurrency): number {
  return units / c.quotaPerUnit;
}

/**
 * Quota units as money in the display currency, formatted for the viewer's locale: "$1,234.50",
 * "¥0.0042". Amounts under one currency unit keep more decimals so small spends do not read as 0.
 * `compact` gives short axis labels ("$1.2K").
 */
export function formatMoney(units: number, c: DisplayCurrency, opts: { compact?: boolean } = {}): string {
  const amount = unitsToAmount(units, c);
  const abs = Math.abs(amount);
  if (opts.compact) return formatter(c.currency, abs >= 1 || abs === 0 ? 'compact' : 'small').format(amount);
  return formatter(c.currency, abs === 0 || abs >= 1 ? 'plain2' : abs >= 0.01 ? 'plain4' : 'plain6').format(
    amount,
  );
}
