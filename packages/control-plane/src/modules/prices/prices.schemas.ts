import { z } from 'zod';

/*
 * Price input schemas, shared by the router (server) and the admin price form (browser): this file
 * imports nothing but zod, so the site can bundle it without pulling server code.
 */

/** An exact model name or a `prefix*` wildcard (`*` alone matches every model). */
export const modelPatternSchema = z
  .string()
  .trim()
  .min(1, 'enter a model name')
  .max(128)
  .regex(/^[^*\s]*\*?$/, 'a model name or a prefix ending in *');

/** Quota units: a whole number, 0 or more. */
export const unitsSchema = z
  .number()
  .int('a whole number of quota units')
  .min(0, 'must not be negative')
  .max(Number.MAX_SAFE_INTEGER, 'too large');

/** A model's sell price in quota units per 1M tokens, or per call, and optionally what it costs us. */
export const setPriceSchema = z.object({
  model: modelPatternSchema,
  inputPrice: unitsSchema.default(0),
  cachedInputPrice: unitsSchema.nullable().default(null),
  outputPrice: unitsSchema.default(0),
  /** when set, the call costs this much whatever its tokens */
  perCallPrice: unitsSchema.nullable().default(null),
  costInputPrice: unitsSchema.nullable().default(null),
  costOutputPrice: unitsSchema.nullable().default(null),
  costPerCallPrice: unitsSchema.nullable().default(null),
});
export type SetPriceInput = z.input<typeof setPriceSchema>;

export const deletePriceSchema = z.object({ model: z.string().min(1).max(128) });

/** Non-negative decimal text a person types: `20`, `12.5`. */
export const decimalTextSchema = z
  .string()
  .trim()
  .regex(/^(\d{1,9}(\.\d{0,6})?|\.\d{1,6})$/, 'a number like 20 or 12.5 (up to 6 decimals)');

/** A reference price in USD per 1M tokens (or per call), as JSON numbers. */
const usd = z.number().finite().min(0, 'must not be negative').max(1_000_000, 'too large');

export const referencePriceSchema = z.object({
  input: usd,
  output: usd,
  cached_input: usd.optional(),
  per_call: usd.optional(),
});
export type ReferencePrice = z.infer<typeof referencePriceSchema>;

/** Keys of a reference list: a model pattern with no surrounding space. */
const referenceModel = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^*\s]*\*?$/, 'a model name or a prefix ending in *');

/** `{ "model": { "input": <USD per 1M>, "output": …, "cached_input"?: …, "per_call"?: … } }` */
export const referencePriceListSchema = z
  .record(referenceModel, referencePriceSchema)
  .refine((list) => Object.keys(list).length > 0, 'the price list is empty')
  .refine((list) => Object.keys(list).length <= 5000, 'at most 5000 models per import');

export const importPricesSchema = z.object({
  prices: referencePriceListSchema,
  /** percent added to the reference (cost) price to get the sell price; "0" sells at cost */
  markupPercent: decimalTextSchema.default('0'),
  /** display currency per USD (e.g. "7.2" when amounts are shown in CNY); 1 when it is USD */
  usdRate: decimalTextSchema.optional(),
});
export type ImportPricesInput = z.input<typeof importPricesSchema>;
