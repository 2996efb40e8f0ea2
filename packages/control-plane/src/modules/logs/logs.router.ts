import { adminProcedure, router, userProcedure } from '../../trpc/init.ts';
import { logIdSchema, searchLogsSchema, searchMyLogsSchema } from './logs.schemas.ts';
import { getLog, getMyLog, searchLogs, searchMyLogs } from './logs.service.ts';

/**
 * Request logs (SPEC §7). `search`/`get` are the operator's view of every row; `mine`/`getMine` are
 * scoped to `ctx.user.id` and never show channels, channel cost or upstream model names.
 * CSV export is a streamed HTTP route, not a procedure (see logs.export.ts).
 */
export const logsRouter = router({
  search: adminProcedure.input(searchLogsSchema).query(({ ctx, input }) => searchLogs(ctx.deps, input)),
  get: adminProcedure.input(logIdSchema).query(({ ctx, input }) => getLog(ctx.deps, input.id)),
  mine: userProcedure
    .input(searchMyLogsSchema)
    .query(({ ctx, input }) => searchMyLogs(ctx.deps, ctx.user.id, input)),
  getMine: userProcedure
    .input(logIdSchema)
    .query(({ ctx, input }) => getMyLog(ctx.deps, ctx.user.id, input.id)),
});
