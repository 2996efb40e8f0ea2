import { z } from 'zod';

export const emailSchema = z.string().trim().toLowerCase().email().max(255);
export const passwordSchema = z.string().min(8, 'at least 8 characters').max(200);
export const roleSchema = z.enum(['user', 'admin']);
export const groupNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');

export const createUserSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  displayName: z.string().trim().max(100).optional(),
  role: roleSchema.default('user'),
  group: groupNameSchema.optional(),
});
export type CreateUserInput = z.input<typeof createUserSchema>;

export const listUsersSchema = z.object({
  search: z.string().trim().max(255).optional(),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});

export const adjustBalanceSchema = z.object({
  userId: z.number().int().positive(),
  /** quota units; negative deducts */
  amount: z
    .number()
    .int()
    .refine((v) => v !== 0, 'amount must not be 0'),
  reason: z.string().trim().min(1).max(500),
  /** makes the adjustment idempotent when retried */
  idempotencyKey: z.string().max(100).optional(),
});

export const updateUserSchema = z.object({
  userId: z.number().int().positive(),
  role: roleSchema.optional(),
  status: z.enum(['active', 'disabled']).optional(),
  group: groupNameSchema.optional(),
});

/** One user, by id (admin views of their keys and ledger). */
export const userRefSchema = z.object({ userId: z.number().int().positive() });

export const userLedgerSchema = userRefSchema.extend({
  limit: z.number().int().min(1).max(100).default(20),
});
