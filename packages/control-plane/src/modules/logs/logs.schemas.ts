import { z } from 'zod';

/** Largest page of log rows one call returns. */
export const MAX_PAGE_SIZE = 200;

/** `ok` = 2xx, `error` = 4xx/5xx, or one exact HTTP status code. */
export const logStatusFilterSchema = z.union([z.enum(['ok', 'error']), z.number().int().min(100).max(599)]);
export type LogStatusFilter = z.infer<typeof logStatusFilterSchema>;

/** What a log row records: a relayed request, a top-up, or an admin adjustment (cost = −amount). */
export const logKindSchema = z.enum(['usage', 'topup', 'adjust']);
export type LogKind = z.infer<typeof logKindSchema>;

/** Opaque keyset cursor: `<createdAt>.<id>` of the last row of the previous page. */
export const logCursorSchema = z.string().regex(/^\d{1,16}\.\d{1,20}$/, 'not a cursor');

const idSchema = z.number().int().positive();
const epochMsSchema = z.number().int().min(0).max(8_640_000_000_000_000);

/** Filters every caller may use; a user's are always combined with their own id. */
const ownFilterFields = {
  /** epoch ms, inclusive */
  from: epochMsSchema.optional(),
  /** epoch ms, exclusive */
  to: epochMsSchema.optional(),
  model: z.string().trim().min(1).max(128).optional(),
  /** a key (token) id */
  tokenId: idSchema.optional(),
  status: logStatusFilterSchema.optional(),
  kind: logKindSchema.optional(),
  /** a request id or its beginning */
  requestId: z.string().trim().min(1).max(64).optional(),
};

/** Admin-only filters: whose rows and which channel. */
const adminFilterFields = {
  ...ownFilterFields,
  /** a user id (digits) or an e-mail address */
  user: z.string().trim().min(1).max(255).optional(),
  channelId: idSchema.optional(),
};

const pageFields = {
  cursor: logCursorSchema.optional(),
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
};

const rangeInOrder = (v: { from?: number; to?: number }) =>
  v.from === undefined || v.to === undefined || v.from < v.to;
const rangeMessage = { message: '`from` must be before `to`', path: ['to'] };

export const logFilterSchema = z.object(adminFilterFields).refine(rangeInOrder, rangeMessage);
export type LogFilter = z.infer<typeof logFilterSchema>;

export const ownLogFilterSchema = z.object(ownFilterFields).refine(rangeInOrder, rangeMessage);
export type OwnLogFilter = z.infer<typeof ownLogFilterSchema>;

export const searchLogsSchema = z
  .object({ ...adminFilterFields, ...pageFields })
  .refine(rangeInOrder, rangeMessage);
export type SearchLogsInput = z.infer<typeof searchLogsSchema>;

export const searchMyLogsSchema = z
  .object({ ...ownFilterFields, ...pageFields })
  .refine(rangeInOrder, rangeMessage);
export type SearchMyLogsInput = z.infer<typeof searchMyLogsSchema>;

export const logIdSchema = z.object({ id: idSchema });
