/**
 * Exact conversions from decimal currency amounts (typed by an admin, or read from a reference price
 * list) to integer quota units (SPEC §5). Decimals are parsed as text into BigInt: no float arithmetic
 * touches money, and every conversion rounds at most once, up.
 */

/** A non-negative decimal: `coefficient / 10^scale`. */
export interface Decimal {
  coefficient: bigint;
  scale: number;
}

const DECIMAL = /^\s*(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?\s*$/;
const MAX_SCALE = 40;

/** Parses `"2.5"`, `"0.075"`, `".5"`, `"1e-7"` exactly. Negative or malformed text throws a RangeError. */
export function parseDecimal(text: string): Decimal {
  const m = DECIMAL.exec(text);
  const whole = m?.[1] ?? '';
  const frac = m?.[2] ?? '';
  if (!m || (whole === '' && frac === '')) throw new RangeError(`not a decimal number: ${text}`);
  let coefficient = BigInt(`${whole}${frac}` || '0');
  let scale = frac.length - Number(m[3] ?? 0);
  if (scale < 0) {
    coefficient *= 10n ** BigInt(-scale);
    scale = 0;
  }
  if (scale > MAX_SCALE) throw new RangeError(`too many decimals: ${text}`);
  return { coefficient, scale };
}

/**
 * A JSON number as the decimal it was written as: `String(n)` is the shortest text that reads back
 * as the same double, so `0.15` is 15/100 and not 0.1499999999999999944….
 */
export function decimalOfNumber(n: number): Decimal {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`not a non-negative number: ${n}`);
  return parseDecimal(String(n));
}

/** True when `text` is a plain non-negative decimal a person would type (`12`, `2.50`, `.5`). */
export function isDecimalText(text: string): boolean {
  return /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text);
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const ceilDiv = (a: bigint, b: bigint): bigint => (a <= 0n ? 0n : (a + b - 1n) / b);

export interface ToUnitsOptions {
  /** display currency per source currency in parts per million (a USD list shown in CNY: ≈7_200_000) */
  ratePpm?: number;
  /** percent added on top, as decimal text (`"20"` → ×1.2) */
  markupPercent?: string;
}

/**
 * `amount × quotaPerUnit [× rate] [× (1 + markup%)]` as whole quota units, computed exactly and
 * rounded up once. `exact` is false when rounding happened (the amount is finer than one unit).
 */
export function toUnits(
  amount: Decimal,
  quotaPerUnit: number,
  opts: ToUnitsOptions = {},
): { units: number; exact: boolean } {
  if (!Number.isSafeInteger(quotaPerUnit) || quotaPerUnit < 1)
    throw new RangeError(`quota per unit must be a positive integer, got ${quotaPerUnit}`);
  const rate = opts.ratePpm ?? 1_000_000;
  if (!Number.isSafeInteger(rate) || rate < 0)
    throw new RangeError(`rate must be a ppm integer, got ${rate}`);
  const markup = parseDecimal(opts.markupPercent ?? '0');
  const num =
    amount.coefficient *
    BigInt(quotaPerUnit) *
    BigInt(rate) *
    (100n * pow10(markup.scale) + markup.coefficient);
  const den = pow10(amount.scale) * 1_000_000n * 100n * pow10(markup.scale);
  const units = ceilDiv(num, den);
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('amount is too large');
  return { units: Number(units), exact: num % den === 0n };
}

/** Decimal currency text → whole quota units (rounded up); RangeError on text that is not a decimal. */
export function currencyToUnits(text: string, quotaPerUnit: number): { units: number; exact: boolean } {
  return toUnits(parseDecimal(text), quotaPerUnit);
}

/** `ceil(cost × (100 + markup%) / 100)`: the sell price of a cost plus a markup percentage. */
export function applyMarkup(costUnits: number, markupPercent: string): number {
  if (!Number.isSafeInteger(costUnits) || costUnits < 0)
    throw new RangeError(`cost must be a non-negative integer, got ${costUnits}`);
  return toUnits({ coefficient: BigInt(costUnits), scale: 0 }, 1, { markupPercent }).units;
}

/**
 * The markup of `sell` over `cost` in percent, one decimal, rounded half away from zero (`"25"`,
 * `"12.5"`, `"-10"`); null when there is no cost to compare with.
 */
export function markupPercentOf(sell: number, cost: number | null | undefined): string | null {
  if (cost === null || cost === undefined || cost <= 0) return null;
  const diff = BigInt(sell) - BigInt(cost);
  const negative = diff < 0n;
  const abs = negative ? -diff : diff;
  const tenths = (abs * 2000n + BigInt(cost)) / (2n * BigInt(cost));
  const text = `${tenths / 10n}${tenths % 10n === 0n ? '' : `.${tenths % 10n}`}`;
  return negative && tenths !== 0n ? `-${text}` : text;
}

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

/**
 * Units as the shortest currency text that converts back to them: what a form field is prefilled
 * with (`1250000, 500000` → `"2.5"`; 6 decimals at most, rounded half up; no symbol, no grouping).
 */
export function unitsToCurrencyText(units: number, quotaPerUnit: number): string {
  return unitsToDecimal(Math.trunc(units), quotaPerUnit).replace(/\.?0+$/, '');
}

/** Currencies amounts are shown in (the `display_currency` setting). */
export const DISPLAY_CURRENCIES = ['USD', 'CNY'] as const;
export type DisplayCurrency = (typeof DISPLAY_CURRENCIES)[number];

const SYMBOLS: Record<DisplayCurrency, string> = { USD: '$', CNY: '¥' };

export function currencySymbol(currency: DisplayCurrency): string {
  return SYMBOLS[currency];
}

/** `1250000, 500000, 'USD'` → `"$2.50"`: thousands grouped, at least two decimals, exact up to six. */
export function formatCurrency(units: number, quotaPerUnit: number, currency: DisplayCurrency): string {
  return moneyText(unitsToCurrencyText(units, quotaPerUnit), currency);
}

/** A decimal text (`"-1234.5"`) as money: `"-$1,234.50"` — grouped, at least two decimals. */
export function moneyText(decimal: string, currency: DisplayCurrency): string {
  const negative = decimal.startsWith('-');
  const [whole = '0', frac = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${SYMBOLS[currency]}${grouped}.${frac.replace(/0+$/, '').padEnd(2, '0')}`;
}
