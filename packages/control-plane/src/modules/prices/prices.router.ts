import { adminProcedure, router } from '../../trpc/init.ts';
import { importPrices, importStatus } from './prices.import.ts';
import { deletePriceSchema, importPricesSchema, setPriceSchema } from './prices.schemas.ts';
import { deletePrice, listPrices, setPrice } from './prices.service.ts';

export const pricesRouter = router({
  list: adminProcedure.query(({ ctx }) => listPrices(ctx.deps)),
  set: adminProcedure.input(setPriceSchema).mutation(({ ctx, input }) => setPrice(ctx.deps, input)),
  delete: adminProcedure
    .input(deletePriceSchema)
    .mutation(({ ctx, input }) => deletePrice(ctx.deps, input.model)),
  /** Imports a reference price list; never overwrites a price the admin set. */
  import: adminProcedure
    .input(importPricesSchema)
    .mutation(({ ctx, input }) => importPrices(ctx.deps, input)),
  /** Whether scheduled reference updates are on (config `auto_price_updates`) and the last import. */
  importStatus: adminProcedure.query(({ ctx }) => importStatus(ctx.deps)),
});
