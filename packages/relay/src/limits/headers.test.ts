import { describe, expect, it } from 'vitest';
import { limitHeaders, resetIn, retryAfter } from './headers.ts';

describe('rate-limit headers', () => {
  it.each([
    [0, '0ms'],
    [20.2, '21ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [59_999, '59.999s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [-5, '0ms'],
  ])('reset %d ms → %s', (ms, text) => expect(resetIn(ms)).toBe(text));

  it.each([
    [0, '1'],
    [1, '1'],
    [1000, '1'],
    [1001, '2'],
    [59_500, '60'],
  ])('Retry-After for %d ms → %s', (ms, s) => expect(retryAfter(ms)).toBe(s));

  it('renders OpenAI header names, remaining never negative', () => {
    expect(
      limitHeaders([
        { unit: 'requests', limit: 60, remaining: 59, msBeforeNext: 1000 },
        { unit: 'tokens', limit: 100, remaining: -20, msBeforeNext: 30_000 },
      ]),
    ).toEqual({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-limit-tokens': '100',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '30s',
    });
  });
});
