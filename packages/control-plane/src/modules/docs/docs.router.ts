import { router, userProcedure } from '../../trpc/init.ts';
import { docsModelsSchema } from './docs.schemas.ts';
import { docsModels, relayEndpoint } from './docs.service.ts';

/** What the portal's integration docs page fills in for the signed-in user. */
export const docsRouter = router({
  /** The relay's public base URL (`baseUrl` ends in `/v1`, as OpenAI clients expect). */
  info: userProcedure.query(({ ctx }) => relayEndpoint(ctx.deps.cfg)),
  /** Models the caller's keys of a group can call, with their prices (default: the caller's group). */
  models: userProcedure
    .input(docsModelsSchema)
    .query(({ ctx, input }) =>
      docsModels(ctx.deps, { id: ctx.user.id, groupName: ctx.user.groupName }, input.group),
    ),
});
