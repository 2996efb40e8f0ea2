import { describe, expect, it } from 'vitest';
import {
  applyMarkup,
  currencyToUnits,
  decimalOfNumber,
  formatCurrency,
  isDecimalText,
  markupPercentOf,
  parseDecimal,
  toUnits,
  unitsToCurrencyText,
} from './currency.ts';

describe('parseDecimal', () => {
  it.each([
    ['2.5', 25n, 1],
    ['0.075', 75n, 3],
    ['.5', 5n, 1],
    ['12', 12n, 0],
    ['12.', 12n, 0],
    [' 3.10 ', 310n, 2],
    ['1e-7', 1n, 7],
    ['2.5E+3', 2500n, 0],
    ['0', 0n, 0],
  ])('%s', (text, coefficient, scale) => {
    expect(parseDecimal(text)).toEqual({ coefficient, scale });
  });

  it.each(['', '.', '-1', '1,5', 'abc', '1e', '0x10', '1.2.3'])('refuses %j', (text) => {
    expect(() => parseDecimal(text)).toThrow(RangeError);
  });

  it('reads a JSON number as the decimal it was written as, not its binary approximation', () => {
    expect(decimalOfNumber(0.15)).toEqual({ coefficient: 15n, scale: 2 });
    expect(decimalOfNumber(0.1 + 0.2)).toEqual({ coefficient: 30000000000000004n, scale: 17 });
    expect(decimalOfNumber(1e-7)).toEqual({ coefficient: 1n, scale: 7 });
    expect(() => decimalOfNumber(-1)).toThrow(RangeError);
    expect(() => decimalOfNumber(Number.NaN)).toThrow(RangeError);
  });

  it('isDecimalText accepts only what a person types', () => {
    expect(['1', '2.50', '.5', '10.'].every(isDecimalText)).toBe(true);
    expect(['', '-1', '1e3', '1,5', ' '].some(isDecimalText)).toBe(false);
  });
});

describe('toUnits / currencyToUnits', () => {
  it.each([
    // [text, quota per unit, units, exact]
    ['2.5', 500_000, 1_250_000, true],
    ['0.15', 500_000, 75_000, true],
    ['0.075', 500_000, 37_500, true],
    ['10', 500_000, 5_000_000, true],
    ['0.000002', 500_000, 1, true],
    ['0.000001', 500_000, 1, false],
    ['0.0000021', 500_000, 2, false],
    ['1.1', 3, 4, false],
    ['0', 500_000, 0, true],
  ])('%s at %i units per currency unit', (text, qpu, units, exact) => {
    expect(currencyToUnits(text, qpu)).toEqual({ units, exact });
  });

  it('0.1 + 0.2 style amounts convert exactly (no float maths)', () => {
    // 0.29 × 100 = 28.999999999999996 in floats
    expect(currencyToUnits('0.29', 100)).toEqual({ units: 29, exact: true });
    expect(currencyToUnits('1.005', 1000)).toEqual({ units: 1005, exact: true });
  });

  it('applies an exchange rate and a markup with one rounding', () => {
    // $2.5 per 1M at 7.2 CNY/USD, 500000 units per CNY: 2.5 × 7.2 × 500000 = 9,000,000
    expect(toUnits(parseDecimal('2.5'), 500_000, { ratePpm: 7_200_000 })).toEqual({
      units: 9_000_000,
      exact: true,
    });
    // 0.1 × 3 × 1.333… would round twice if done in steps
    expect(toUnits(parseDecimal('0.1'), 3, { markupPercent: '33.3' })).toEqual({ units: 1, exact: false });
    expect(toUnits(parseDecimal('1'), 1000, { markupPercent: '12.5' })).toEqual({ units: 1125, exact: true });
  });

  it('refuses a bad quota per unit and amounts beyond safe integers', () => {
    expect(() => currencyToUnits('1', 0)).toThrow(RangeError);
    expect(() => currencyToUnits('1e30', 500_000)).toThrow(RangeError);
  });
});

describe('markup', () => {
  it.each([
    [1000, '25', 1250],
    [1000, '0', 1000],
    [3, '10', 4],
    [1, '0.0001', 2],
    [0, '50', 0],
    [75_000, '20', 90_000],
  ])('applyMarkup(%i, %s) = %i (rounded up to a whole unit)', (cost, pct, sell) => {
    expect(applyMarkup(cost, pct)).toBe(sell);
  });

  it.each([
    [1250, 1000, '25'],
    [1125, 1000, '12.5'],
    [900, 1000, '-10'],
    [1000, 1000, '0'],
    [1, 3, '-66.7'],
    [2, 3, '-33.3'],
    [1000, 0, null],
    [1000, null, null],
  ])('markupPercentOf(%i, %s) = %s', (sell, cost, pct) => {
    expect(markupPercentOf(sell, cost)).toBe(pct);
  });
});

describe('unitsToCurrencyText', () => {
  it.each([
    [1_250_000, 500_000, '2.5'],
    [75_000, 500_000, '0.15'],
    [37_500, 500_000, '0.075'],
    [1, 500_000, '0.000002'],
    [0, 500_000, '0'],
    [5_000_000, 500_000, '10'],
  ])('%i units at %i per unit → %s', (units, qpu, text) => {
    expect(unitsToCurrencyText(units, qpu)).toBe(text);
  });

  it('round-trips every amount that is a whole number of units', () => {
    for (const units of [0, 1, 7, 37_500, 1_250_000, 123_456_789]) {
      expect(currencyToUnits(unitsToCurrencyText(units, 500_000), 500_000)).toEqual({ units, exact: true });
    }
  });
});

describe('formatCurrency', () => {
  it('puts the currency symbol first, with two to six decimals', () => {
    expect(formatCurrency(1_250_000, 500_000, 'USD')).toBe('$2.50');
    expect(formatCurrency(37_500, 500_000, 'CNY')).toBe('¥0.075');
    expect(formatCurrency(1, 500_000, 'USD')).toBe('$0.000002');
    expect(formatCurrency(-500_000, 500_000, 'USD')).toBe('-$1.00');
    expect(formatCurrency(1, 3, 'USD')).toBe('$0.333333');
    expect(formatCurrency(617_283_950_000, 500_000, 'USD')).toBe('$1,234,567.90');
  });
});
