/** Currencies the site can display amounts in (the `display_currency` setting). */
export type CurrencyCode = 'USD' | 'CNY';

/** How integer quota units are shown: units per currency unit and the currency (SPEC §5). */
export interface MoneyDisplay {
  quotaPerUnit: number;
  currency: CurrencyCode;
}

export const DEFAULT_MONEY_DISPLAY: MoneyDisplay = { quotaPerUnit: 500_000, currency: 'USD' };

const SYMBOL: Record<CurrencyCode, string> = { USD: '$', CNY: '¥' };

/**
 * `units / quotaPerUnit` as a decimal string with `decimals` fraction digits, computed in integers
 * (no float), rounded half away from zero: `unitsToDecimal(1_250, 500_000)` → `"0.002500"`.
 */
export function unitsToDecimal(units: number, quotaPerUnit: number, decimals = 6): string {
  if (!Number.isSafeInteger(units)) throw new RangeError(`units must be an integer, got ${units}`);
  if (!Number.isSafeInteger(quotaPerUnit) || quotaPerUnit < 1)
    throw new RangeError(`quotaPerUnit must be a positive integer, got ${quotaPerUnit}`);
  const negative = units < 0;
  const scale = 10n ** BigInt(decimals);
  const per = BigInt(quotaPerUnit);
  const scaled = (BigInt(Math.abs(units)) * scale * 2n + per) / (2n * per);
  const whole = scaled / scale;
  const frac = (scaled % scale).toString().padStart(decimals, '0');
  const text = decimals > 0 ? `${whole}.${frac}` : `${whole}`;
  return negative && scaled !== 0n ? `-${text}` : text;
}

/** An amount of quota units for people: `$0.0025` (trailing zeros trimmed to at least two decimals). */
export function formatUnitsAsMoney(units: number, display: MoneyDisplay = DEFAULT_MONEY_DISPLAY): string {
  const exact = unitsToDecimal(units, display.quotaPerUnit);
  const negative = exact.startsWith('-');
  const [whole = '0', frac = ''] = (negative ? exact.slice(1) : exact).split('.');
  const trimmed = frac.replace(/0+$/, '').padEnd(2, '0');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${SYMBOL[display.currency]}${grouped}.${trimmed}`;
}
