import { adminProcedure, router } from '../../trpc/init.ts';
import { createGroupSchema, groupRefSchema, updateGroupSchema } from './groups.schemas.ts';
import { createGroup, deleteGroup, listGroups, updateGroup } from './groups.service.ts';

export const groupsRouter = router({
  list: adminProcedure.query(({ ctx }) => listGroups(ctx.deps)),
  create: adminProcedure.input(createGroupSchema).mutation(({ ctx, input }) => createGroup(ctx.deps, input)),
  update: adminProcedure.input(updateGroupSchema).mutation(({ ctx, input }) => updateGroup(ctx.deps, input)),
  delete: adminProcedure
    .input(groupRefSchema)
    .mutation(({ ctx, input }) => deleteGroup(ctx.deps, input.name)),
});
