import { z } from 'zod';

/*
 * Browser-safe (no node: imports): the portal's key form validates with these same schemas.
 */

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

const V4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * The family of a textual IP address (4 or 6), or 0 — the same answers as `node:net` `isIP` for
 * addresses, without zone ids (`fe80::1%eth0` is 0: a key's allow-list has no use for them).
 * @see https://www.rfc-editor.org/rfc/rfc4291#section-2.2 (text forms of IPv6 addresses)
 */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (V4.test(text)) return 4;
  if (!text.includes(':')) return 0;
  let groups = text;
  let embeddedV4 = 0;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    if (!V4.test(last)) return 0;
    // the dotted tail takes two 16-bit groups: one placeholder plus one counted here
    groups = `${text.slice(0, lastColon + 1)}0`;
    embeddedV4 = 1;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return 0;
  const parts = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!parts.every((g) => HEX_GROUP.test(g))) return 0;
  const n = parts.length + embeddedV4;
  return (halves.length === 2 ? n <= 7 : n === 8) ? 6 : 0;
}

/** An IPv4/IPv6 address or CIDR. */
export const ipOrCidrSchema = z
  .string()
  .trim()
  .refine((v) => {
    const [addr, bits, extra] = v.split('/');
    if (extra !== undefined || !addr) return false;
    const family = ipFamily(addr);
    if (!family) return false;
    if (bits === undefined) return true;
    if (!/^\d{1,3}$/.test(bits)) return false;
    const n = Number(bits);
    return n >= 0 && n <= (family === 4 ? 32 : 128);
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
