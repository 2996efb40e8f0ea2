import { z } from 'zod';
import { adminProcedure, router } from '../../trpc/init.ts';
import { deletePrice, listPrices, setPrice, setPriceSchema } from './prices.service.ts';

export const pricesRouter = router({
  list: adminProcedure.query(({ ctx }) => listPrices(ctx.deps)),
  set: adminProcedure.input(setPriceSchema).mutation(({ ctx, input }) => setPrice(ctx.deps, input)),
  delete: adminProcedure
    .input(z.object({ model: z.string().min(1).max(128) }))
    .mutation(({ ctx, input }) => deletePrice(ctx.deps, input.model)),
});
