import { z } from 'zod';
import { adminProcedure, router } from '../../trpc/init.ts';
import {
  refreshChannelBalance,
  runChannelTests,
  setChannelBalance,
  testChannelNow,
} from './health.service.ts';

const id = z.object({ id: z.number().int().positive() });

export const healthRouter = router({
  /** tests one channel now (any status; only an auto-disabled one is re-enabled by a pass) */
  testChannel: adminProcedure.input(id).mutation(({ ctx, input }) => testChannelNow(ctx.deps, input.id)),
  /** tests every enabled and auto-disabled channel now (joins a run already in progress) */
  testAll: adminProcedure.mutation(({ ctx }) => runChannelTests(ctx.deps, { timeoutMs: 20_000 })),
  /** reads the upstream balance from OpenAI-style billing endpoints */
  refreshBalance: adminProcedure
    .input(id)
    .mutation(({ ctx, input }) => refreshChannelBalance(ctx.deps, input.id)),
  /** records a balance entered by hand (cents), or clears it */
  setBalance: adminProcedure
    .input(
      z.object({
        id: z.number().int().positive(),
        balance: z.number().int().min(-1e15).max(1e15).nullable(),
      }),
    )
    .mutation(({ ctx, input }) => setChannelBalance(ctx.deps, input.id, input.balance)),
});
