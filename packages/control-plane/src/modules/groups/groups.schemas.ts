import { parseMultiplier } from '@tollgate/shared/pricing.ts';
import { z } from 'zod';
import { groupNameSchema } from '../users/users.schemas.ts';

/*
 * Group input schemas, shared by the router (server) and the admin groups page (browser): no server
 * imports here.
 */

export { groupNameSchema };

/** At most ×100; 0 makes every request of the group free. */
export const MAX_MULTIPLIER_PPM = 100_000_000;

const MULTIPLIER_TEXT = /^\d{1,3}(\.\d{1,6})?$/;

/**
 * A price multiplier typed as a decimal (`1`, `1.25`, `0.8`); the service stores it exactly in parts
 * per million with `parseMultiplier` (the text stays text here, so parsing twice is harmless).
 */
export const multiplierSchema = z
  .string()
  .trim()
  .regex(MULTIPLIER_TEXT, 'a decimal like 1, 1.25 or 0.8 (up to 6 decimals)')
  // zod runs every check: only compare texts the regex accepted
  .refine(
    (text) => !MULTIPLIER_TEXT.test(text) || parseMultiplier(text) <= MAX_MULTIPLIER_PPM,
    'at most 100',
  );

/** Requests (or tokens) per minute; null = no group limit. */
const limitSchema = z.number().int('a whole number').min(1, 'at least 1').max(1_000_000_000).nullable();

export const createGroupSchema = z.object({
  name: groupNameSchema,
  description: z.string().trim().max(255).default(''),
  /** decimal text; omitted = 1 */
  multiplier: multiplierSchema.optional(),
  rpmLimit: limitSchema.default(null),
  tpmLimit: limitSchema.default(null),
});
export type CreateGroupInput = z.input<typeof createGroupSchema>;

/** Changes a group, found by name (names are fixed: users and keys refer to them). */
export const updateGroupSchema = z.object({
  name: groupNameSchema,
  description: z.string().trim().max(255).optional(),
  multiplier: multiplierSchema.optional(),
  rpmLimit: limitSchema.optional(),
  tpmLimit: limitSchema.optional(),
});
export type UpdateGroupInput = z.input<typeof updateGroupSchema>;

export const groupRefSchema = z.object({ name: groupNameSchema });
