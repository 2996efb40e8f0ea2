import type { PriceEntry } from './snapshot/types.ts';

/** Tokens of one request as the upstream (or our tokenizer) counted them. */
export interface TokenCounts {
  /** all prompt tokens, cached ones included (OpenAI's `prompt_tokens`) */
  promptTokens: number;
  /** the part of `promptTokens` served from the upstream's cache */
  cachedTokens: number;
  completionTokens: number;
}

/** 1 = 1,000,000 parts per million. */
export const PPM = 1_000_000;
const PPM_N = 1_000_000n;
const PER_MILLION_TOKENS = 1_000_000n;

function ceilDiv(a: bigint, b: bigint): bigint {
  return a <= 0n ? 0n : (a + b - 1n) / b;
}

function big(n: number, what: string): bigint {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
  return BigInt(n);
}

/** Token prices and per-call price of one side (what we sell, or what the upstream charges us). */
export interface PriceSide {
  inputPrice: number;
  cachedInputPrice: number | null;
  outputPrice: number;
  perCallPrice: number | null;
}

/**
 * The exact integer cost of a request (SPEC §5): `ceil(Σ tokens × price per 1M × multiplier)`, computed
 * once in integers (BigInt, no float anywhere) and rounded up once. A per-call price replaces token
 * prices. Cached prompt tokens use the cached-input price when one is set, else the input price.
 */
export function costOf(side: PriceSide, t: TokenCounts, multiplierPpm: number = PPM): number {
  const mult = big(multiplierPpm, 'multiplier');
  if (side.perCallPrice !== null)
    return Number(ceilDiv(big(side.perCallPrice, 'per-call price') * mult, PPM_N));
  const cached = Math.min(t.cachedTokens, t.promptTokens);
  const fresh = big(t.promptTokens - cached, 'prompt tokens');
  const sum =
    fresh * big(side.inputPrice, 'input price') +
    big(cached, 'cached tokens') * big(side.cachedInputPrice ?? side.inputPrice, 'cached input price') +
    big(t.completionTokens, 'completion tokens') * big(side.outputPrice, 'output price');
  return Number(ceilDiv(sum * mult, PER_MILLION_TOKENS * PPM_N));
}

/** The sell side of a price entry. */
export function sellSide(p: PriceEntry): PriceSide {
  return {
    inputPrice: p.inputPrice,
    cachedInputPrice: p.cachedInputPrice,
    outputPrice: p.outputPrice,
    perCallPrice: p.perCallPrice,
  };
}

/** The cost side (what the upstream charges); unknown cost prices count as 0. */
export function costSide(p: PriceEntry): PriceSide {
  return {
    inputPrice: p.costInputPrice ?? 0,
    cachedInputPrice: null,
    outputPrice: p.costOutputPrice ?? 0,
    perCallPrice: p.costPerCallPrice,
  };
}

/** Parses a decimal multiplier like `1.2` or `0.85` into parts per million, exactly (no float maths). */
export function parseMultiplier(text: string): number {
  const m = /^\s*(\d+)(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (!m) throw new RangeError(`not a multiplier: ${text}`);
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? '').padEnd(6, '0'));
  const ppm = whole * PPM + frac;
  if (!Number.isSafeInteger(ppm)) throw new RangeError(`multiplier too large: ${text}`);
  return ppm;
}

/** `1200000` → `"1.2"`. */
export function formatMultiplier(ppm: number): string {
  const whole = Math.floor(ppm / PPM);
  const frac = String(ppm % PPM)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}
