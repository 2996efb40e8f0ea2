import { z } from 'zod';
import { adminProcedure, router, userProcedure } from '../../trpc/init.ts';
import { getStatement, monthSchema, revenueReport, statementMonths } from './statements.service.ts';

export const statementsRouter = router({
  /** The months the caller has statements for, newest first. */
  months: userProcedure.query(({ ctx }) => statementMonths(ctx.deps, ctx.user.id)),
  /** The caller's statement of a month. */
  mine: userProcedure
    .input(z.object({ month: monthSchema }))
    .query(({ ctx, input }) => getStatement(ctx.deps, ctx.user.id, input.month)),
  /** Any user's statement of a month. */
  forUser: adminProcedure
    .input(z.object({ userId: z.number().int().positive(), month: monthSchema }))
    .query(({ ctx, input }) => getStatement(ctx.deps, input.userId, input.month)),
  /** Site-wide revenue per month. */
  revenue: adminProcedure
    .input(z.object({ months: z.number().int().min(1).max(36).default(12) }))
    .query(({ ctx, input }) => revenueReport(ctx.deps, input.months)),
});
