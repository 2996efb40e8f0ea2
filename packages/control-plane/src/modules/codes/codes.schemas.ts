import { z } from 'zod';

/* Inputs of the redemption-code procedures (browser-safe: no server imports). */

const units = z.number().int('a whole number of quota units').min(1).max(Number.MAX_SAFE_INTEGER);
export const batchNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits and _ . - (up to 64)');

export const generateCodesSchema = z.object({
  count: z.number().int().min(1).max(1000, 'at most 1,000 codes at a time'),
  value: units,
  /** epoch ms; none = never expires */
  expiresAt: z.number().int().positive().nullish(),
  batch: batchNameSchema.optional(),
});
export type GenerateCodesInput = z.infer<typeof generateCodesSchema>;

export const listCodesSchema = z.object({
  batch: batchNameSchema.optional(),
  status: z.enum(['active', 'used', 'disabled', 'expired']).optional(),
  limit: z.number().int().min(1).max(1000).default(200),
});

export const disableCodesSchema = z
  .object({
    ids: z.array(z.number().int().positive()).max(1000).optional(),
    batch: batchNameSchema.optional(),
  })
  .refine((v) => (v.ids?.length ?? 0) > 0 || v.batch !== undefined, 'name codes or a batch');

export const redeemSchema = z.object({ code: z.string().trim().min(1).max(64) });
