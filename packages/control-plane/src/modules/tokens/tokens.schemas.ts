import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

export const tokenNameSchema = z
  .string()
  .trim()
  .min(1, 'name is required')
  .max(64)
  .regex(/^[\p{L}\p{N} _.-]+$/u, 'letters, digits, space, _ . - only');

const modelPattern = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[^*\s]*\*?$/, 'a model name or a prefix ending in *');

/** An IPv4/IPv6 address or CIDR. */
export const ipOrCidrSchema = z
  .string()
  .trim()
  .refine((v) => {
    const [addr, bits, extra] = v.split('/');
    if (extra !== undefined || !addr) return false;
    const family = isIP(addr);
    if (!family) return false;
    if (bits === undefined) return true;
    if (!/^\d{1,3}$/.test(bits)) return false;
    const n = Number(bits);
    if (!Number.isInteger(n) || n < 0 || n > (family === 4 ? 32 : 128)) return false;
    new BlockList().addSubnet(addr, n, family === 4 ? 'ipv4' : 'ipv6');
    return true;
  }, 'an IP address or CIDR');

const tokenFields = {
  name: tokenNameSchema,
  /** epoch ms; null = never */
  expiresAt: z.number().int().positive().nullable().default(null),
  remainQuota: z.number().int().min(0).default(0),
  unlimitedQuota: z.boolean().default(true),
  group: z.string().trim().min(1).max(64).nullable().default(null),
  models: z.array(modelPattern).max(200).nullable().default(null),
  allowedIps: z.array(ipOrCidrSchema).max(200).nullable().default(null),
  rpmLimit: z.number().int().min(1).max(1_000_000).nullable().default(null),
};

export const createTokenSchema = z.object(tokenFields);
export type CreateTokenInput = z.input<typeof createTokenSchema>;

export const updateTokenSchema = z.object({
  id: z.number().int().positive(),
  name: tokenFields.name.optional(),
  expiresAt: z.number().int().positive().nullable().optional(),
  remainQuota: z.number().int().min(0).optional(),
  unlimitedQuota: z.boolean().optional(),
  group: z.string().trim().min(1).max(64).nullable().optional(),
  models: z.array(modelPattern).max(200).nullable().optional(),
  allowedIps: z.array(ipOrCidrSchema).max(200).nullable().optional(),
  rpmLimit: z.number().int().min(1).max(1_000_000).nullable().optional(),
});

export const tokenIdSchema = z.object({ id: z.number().int().positive() });
export const tokenStatusSchema = z.object({
  id: z.number().int().positive(),
  status: z.enum(['enabled', 'disabled']),
});
