import { channelTypes } from '@tollgate/shared/channel-types.ts';
import { z } from 'zod';

const modelPattern = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[^*\s]*\*?$/, 'a model name or a prefix ending in *');
const groupName = z.string().trim().min(1).max(64);

const channelFields = {
  name: z.string().trim().min(1).max(100),
  type: z.enum(channelTypes).default('openai-compatible'),
  baseUrl: z
    .string()
    .trim()
    .max(500)
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'http(s) URL'),
  /** upstream keys; at least one */
  keys: z.array(z.string().trim().min(1).max(1000)).min(1).max(100),
  models: z.array(modelPattern).min(1).max(500),
  modelMapping: z.record(z.string().trim().min(1).max(128), z.string().trim().min(1).max(128)).default({}),
  groups: z.array(groupName).min(1).max(50).default(['default']),
  priority: z.number().int().min(-1000).max(1000).default(0),
  weight: z.number().int().min(0).max(10_000).default(1),
  testModel: z.string().trim().max(128).nullable().default(null),
  balanceThreshold: z.number().int().min(0).nullable().default(null),
};

export const createChannelSchema = z.object(channelFields);
export type CreateChannelInput = z.input<typeof createChannelSchema>;

export const updateChannelSchema = z.object({
  id: z.number().int().positive(),
  name: channelFields.name.optional(),
  type: z.enum(channelTypes).optional(),
  baseUrl: channelFields.baseUrl.optional(),
  /** omitted → keys unchanged (they are never sent back to the browser) */
  keys: channelFields.keys.optional(),
  models: channelFields.models.optional(),
  modelMapping: z.record(z.string().trim().min(1).max(128), z.string().trim().min(1).max(128)).optional(),
  groups: z.array(groupName).min(1).max(50).optional(),
  priority: channelFields.priority.optional(),
  weight: channelFields.weight.optional(),
  testModel: z.string().trim().max(128).nullable().optional(),
  balanceThreshold: z.number().int().min(0).nullable().optional(),
});

export const channelIdSchema = z.object({ id: z.number().int().positive() });
export const channelStatusSchema = z.object({
  id: z.number().int().positive(),
  status: z.enum(['enabled', 'manual_disabled']),
});
