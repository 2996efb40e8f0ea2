import { describe, expect, it } from 'vitest';
import { formatUnitsAsMoney, unitsToDecimal } from './quota-display.ts';

describe('unitsToDecimal', () => {
  it.each([
    [0, 500_000, '0.000000'],
    [500_000, 500_000, '1.000000'],
    [1_250, 500_000, '0.002500'],
    [1, 500_000, '0.000002'],
    [-500_000, 500_000, '-1.000000'],
    [-1, 3_000_000, '0.000000'],
    [2, 3_000_000, '0.000001'],
    [9_007_199_254_740_991, 1, '9007199254740991.000000'],
    [2_000, 1_000, '2.000000'],
  ])('%d units at %d per unit → %s', (units, per, out) => {
    expect(unitsToDecimal(units, per)).toBe(out);
  });

  it('refuses non-integers', () => {
    expect(() => unitsToDecimal(1.5, 500_000)).toThrow(RangeError);
    expect(() => unitsToDecimal(1, 0)).toThrow(RangeError);
  });
});

describe('formatUnitsAsMoney', () => {
  it.each([
    [1_250, { quotaPerUnit: 500_000, currency: 'USD' as const }, '$0.0025'],
    [500_000_000, { quotaPerUnit: 500_000, currency: 'USD' as const }, '$1,000.00'],
    [-250_000, { quotaPerUnit: 500_000, currency: 'USD' as const }, '-$0.50'],
    [7_000, { quotaPerUnit: 1_000, currency: 'CNY' as const }, '¥7.00'],
  ])('%d → %s', (units, display, out) => {
    expect(formatUnitsAsMoney(units, display)).toBe(out);
  });
});
