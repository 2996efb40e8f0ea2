import { describe, expect, it } from 'vitest';
import { costOf, formatMultiplier, PPM, type PriceSide, parseMultiplier } from './pricing.ts';

const side = (p: Partial<PriceSide>): PriceSide => ({
  inputPrice: 0,
  cachedInputPrice: null,
  outputPrice: 0,
  perCallPrice: null,
  ...p,
});
const t = (promptTokens: number, completionTokens: number, cachedTokens = 0) => ({
  promptTokens,
  completionTokens,
  cachedTokens,
});

describe('costOf', () => {
  it.each([
    // [what, price side, tokens, multiplier ppm, expected units]
    ['nothing used costs nothing', side({ inputPrice: 150, outputPrice: 600 }), t(0, 0), PPM, 0],
    ['exact multiple of 1M', side({ inputPrice: 150, outputPrice: 600 }), t(1_000_000, 1_000_000), PPM, 750],
    ['a fraction of a unit rounds up once', side({ inputPrice: 150, outputPrice: 600 }), t(1, 0), PPM, 1],
    [
      'sums before rounding (not per part)',
      side({ inputPrice: 1, outputPrice: 1 }),
      t(500_000, 500_000),
      PPM,
      1,
    ],
    [
      'ten one-token parts still round once',
      side({ inputPrice: 100_000, outputPrice: 100_000 }),
      t(5, 5),
      PPM,
      1,
    ],
    [
      'group multiplier 1.2',
      side({ inputPrice: 1000, outputPrice: 2000 }),
      t(1_000_000, 500_000),
      1_200_000,
      2400,
    ],
    ['multiplier rounds up once, after the sum', side({ inputPrice: 3 }), t(1_000_000, 0), 1_500_000, 5],
    ['multiplier 0 makes it free', side({ inputPrice: 1000 }), t(1_000_000, 0), 0, 0],
    [
      'cached tokens at the cached price',
      side({ inputPrice: 1000, cachedInputPrice: 100 }),
      t(1_000_000, 0, 400_000),
      PPM,
      640,
    ],
    [
      'cached tokens at the input price when no cached price',
      side({ inputPrice: 1000 }),
      t(1_000_000, 0, 400_000),
      PPM,
      1000,
    ],
    ['cached beyond prompt is capped', side({ inputPrice: 1000, cachedInputPrice: 0 }), t(10, 0, 50), PPM, 0],
    [
      'per-call price ignores tokens',
      side({ inputPrice: 1000, perCallPrice: 40_000 }),
      t(9_999, 9_999),
      PPM,
      40_000,
    ],
    ['per-call price times multiplier, rounded up', side({ perCallPrice: 3 }), t(0, 0), 1_500_000, 5],
    ['free model: all prices 0', side({}), t(123_456, 654_321, 10), 1_300_000, 0],
    [
      'no float error on huge numbers',
      side({ inputPrice: 987_654_321, outputPrice: 123_456_789 }),
      t(9_000_000, 8_000_000),
      1_234_567,
      Number(
        (
          ((9_000_000n * 987_654_321n + 8_000_000n * 123_456_789n) * 1_234_567n + 10n ** 12n - 1n) /
          10n ** 12n
        ).toString(),
      ),
    ],
  ])('%s', (_what, s, tokens, mult, expected) => {
    expect(costOf(s, tokens, mult)).toBe(expected);
    expect(Number.isInteger(costOf(s, tokens, mult))).toBe(true);
  });

  it('refuses negative or fractional inputs (bugs, not bills)', () => {
    expect(() => costOf(side({ inputPrice: 1 }), t(-1, 0))).toThrow(RangeError);
    expect(() => costOf(side({ inputPrice: 1.5 }), t(1, 0))).toThrow(RangeError);
    expect(() => costOf(side({ inputPrice: 1 }), t(1, 0), 1.2)).toThrow(RangeError);
  });
});

describe('multipliers', () => {
  it.each([
    ['1', 1_000_000],
    ['1.2', 1_200_000],
    ['0.85', 850_000],
    ['2.000001', 2_000_001],
    ['0', 0],
  ])('%s ↔ %i ppm', (text, ppm) => {
    expect(parseMultiplier(text)).toBe(ppm);
    expect(parseMultiplier(formatMultiplier(ppm))).toBe(ppm);
  });
  it('rejects what is not a plain decimal', () => {
    for (const bad of ['-1', '1e3', '1.2345678', 'abc', ''])
      expect(() => parseMultiplier(bad)).toThrow(RangeError);
  });
});
