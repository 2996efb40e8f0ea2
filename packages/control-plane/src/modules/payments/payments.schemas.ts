import { z } from 'zod';

/*
 * Inputs and views of payments (SPEC §6), shared by the services (server) and the admin/portal pages
 * (browser): no server imports here.
 */

/** An amount of money in cents (the smallest unit of the store currency). */
export const centsSchema = z
  .number()
  .int('a whole number of cents')
  .min(1, 'at least 1 cent')
  .max(100_000_000, 'at most 1,000,000.00');

const units = z.number().int('a whole number of quota units').min(0).max(Number.MAX_SAFE_INTEGER);
const numericId = z
  .string()
  .trim()
  .regex(/^\d{1,20}$/, 'a numeric id from the Lemon Squeezy dashboard');

/** A bonus tier: top-ups of at least `minCents` get `bonusPercent` % extra quota. */
export const bonusTierSchema = z.object({
  minCents: centsSchema,
  bonusPercent: z.number().int().min(1).max(1000),
});
export type BonusTier = z.infer<typeof bonusTierSchema>;

/** The non-secret part of the Lemon Squeezy settings. */
export const paymentOptionsSchema = z.object({
  enabled: z.boolean(),
  storeId: z.union([numericId, z.literal('')]),
  variantId: z.union([numericId, z.literal('')]),
  /** ISO currency of the store (display only: Lemon Squeezy charges in the store currency) */
  currency: z.string().regex(/^[A-Z]{3}$/, 'a 3-letter currency code'),
  /** the amounts offered as buttons, in cents */
  amounts: z.array(centsSchema).max(12),
  allowCustomAmount: z.boolean(),
  minCents: centsSchema,
  maxCents: centsSchema,
  /** quota units credited per currency unit (100 cents); null = the display rate `quota_per_unit` */
  quotaPerUnit: units.min(1).nullable(),
  bonusTiers: z.array(bonusTierSchema).max(10),
});
export type PaymentOptions = z.infer<typeof paymentOptionsSchema>;

export const paymentOptionDefaults: PaymentOptions = {
  enabled: false,
  storeId: '',
  variantId: '',
  currency: 'USD',
  amounts: [500, 1000, 2000, 5000],
  allowCustomAmount: true,
  minCents: 100,
  maxCents: 100_000,
  quotaPerUnit: null,
  bonusTiers: [],
};

/**
 * `payments.setSettings`: any subset of the options plus the secrets. A secret left out keeps its
 * stored value; an empty string removes it.
 */
export const paymentSettingsPatchSchema = paymentOptionsSchema
  .partial()
  .extend({
    apiKey: z.string().trim().max(4000).optional(),
    webhookSecret: z
      .string()
      .trim()
      .max(200)
      .refine((s) => s === '' || s.length >= 8, 'at least 8 characters')
      .optional(),
  })
  .strict()
  .refine((p) => p.minCents === undefined || p.maxCents === undefined || p.minCents <= p.maxCents, {
    message: 'the minimum must not exceed the maximum',
    path: ['minCents'],
  });
export type PaymentSettingsPatch = z.input<typeof paymentSettingsPatchSchema>;

/** What the admin page gets back: options, and for each secret only whether it is set and a mask. */
export interface PaymentSettingsView extends PaymentOptions {
  apiKeySet: boolean;
  apiKeyMask: string;
  webhookSecretSet: boolean;
  webhookSecretMask: string;
  /** the URL to enter as the webhook endpoint in the Lemon Squeezy dashboard */
  webhookPath: string;
}

/** SMTP for the low-balance reminder. */
export const smtpOptionsSchema = z.object({
  enabled: z.boolean(),
  host: z.string().trim().max(255),
  port: z.number().int().min(1).max(65535),
  /** TLS from the first byte (465); false = STARTTLS when offered */
  secure: z.boolean(),
  user: z.string().trim().max(255),
  from: z.string().trim().max(255),
});
export type SmtpOptions = z.infer<typeof smtpOptionsSchema>;

export const smtpOptionDefaults: SmtpOptions = {
  enabled: false,
  host: '',
  port: 587,
  secure: false,
  user: '',
  from: '',
};

export const smtpSettingsPatchSchema = smtpOptionsSchema
  .partial()
  .extend({ password: z.string().max(1000).optional() })
  .strict();
export type SmtpSettingsPatch = z.input<typeof smtpSettingsPatchSchema>;

export interface SmtpSettingsView extends SmtpOptions {
  passwordSet: boolean;
}

/** `payments.checkout`: the amount the user chose. */
export const checkoutSchema = z.object({ amountCents: centsSchema });

/** `payments.setThreshold`: the user's low-balance reminder threshold; null = the site default. */
export const thresholdSchema = z.object({ threshold: units.nullable() });

export const topupIdSchema = z.object({ id: z.number().int().positive() });
