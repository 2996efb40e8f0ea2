import { z } from 'zod';
import { adminProcedure, router } from '../../trpc/init.ts';
import { adjustBalanceSchema, createUserSchema, listUsersSchema, updateUserSchema } from './users.schemas.ts';
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
});
