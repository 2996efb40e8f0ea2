import { adminProcedure, router, userProcedure } from '../../trpc/init.ts';
import { statsRangeSchema } from './stats.schemas.ts';
import { adminDashboard, myUsage } from './stats.service.ts';

/** Dashboards: the operator's view of all traffic, and each user's view of their own. */
export const statsRouter = router({
  adminDashboard: adminProcedure
    .input(statsRangeSchema)
    .query(({ ctx, input }) => adminDashboard(ctx.deps, input)),
  myUsage: userProcedure
    .input(statsRangeSchema)
    .query(({ ctx, input }) => myUsage(ctx.deps, ctx.user.id, input)),
});
