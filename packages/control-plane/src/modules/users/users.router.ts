import { z } from 'zod';
import { adminProcedure, router } from '../../trpc/init.ts';
import { disableUserKeys, listUserKeys } from './user-keys.ts';
import { listUserLedger } from './user-ledger.ts';
import {
  adjustBalanceSchema,
  createUserSchema,
  listUsersSchema,
  updateUserSchema,
  userLedgerSchema,
  userRefSchema,
} from './users.schemas.ts';
import { adjustBalance, createUser, getUser, listUsers, updateUser } from './users.service.ts';

export const usersRouter = router({
  list: adminProcedure.input(listUsersSchema).query(({ ctx, input }) => listUsers(ctx.deps, input)),
  get: adminProcedure
    .input(z.object({ id: z.number().int().positive() }))
    .query(({ ctx, input }) => getUser(ctx.deps, input.id)),
  create: adminProcedure.input(createUserSchema).mutation(({ ctx, input }) => createUser(ctx.deps, input)),
  update: adminProcedure.input(updateUserSchema).mutation(({ ctx, input }) => updateUser(ctx.deps, input)),
  adjustBalance: adminProcedure
    .input(adjustBalanceSchema)
    .mutation(({ ctx, input }) => adjustBalance(ctx.deps, { ...input, actorId: ctx.user.id })),
  /** The user's keys, read-only: masks and limits, never a key. */
  keys: adminProcedure.input(userRefSchema).query(({ ctx, input }) => listUserKeys(ctx.deps, input.userId)),
  /** The user's latest balance changes with reasons and who made them. */
  ledger: adminProcedure
    .input(userLedgerSchema)
    .query(({ ctx, input }) => listUserLedger(ctx.deps, input.userId, input.limit)),
  /** Disables every enabled key of the user (e.g. a leaked key or abuse). */
  disableAllKeys: adminProcedure
    .input(userRefSchema)
    .mutation(({ ctx, input }) => disableUserKeys(ctx.deps, input.userId)),
});
