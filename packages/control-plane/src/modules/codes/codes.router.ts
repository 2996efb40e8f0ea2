import { adminProcedure, router, userProcedure } from '../../trpc/init.ts';
import { disableCodesSchema, generateCodesSchema, listCodesSchema, redeemSchema } from './codes.schemas.ts';
import { disableCodes, generateCodes, listBatches, listCodes, redeemCode } from './codes.service.ts';

export const codesRouter = router({
  /** Generates single-use codes; the plaintexts are returned once here (and in the batch CSV). */
  generate: adminProcedure
    .input(generateCodesSchema)
    .mutation(({ ctx, input }) => generateCodes(ctx.deps, { ...input, actorId: ctx.user.id })),
  batches: adminProcedure.query(({ ctx }) => listBatches(ctx.deps)),
  list: adminProcedure.input(listCodesSchema).query(({ ctx, input }) => listCodes(ctx.deps, input)),
  disable: adminProcedure
    .input(disableCodesSchema)
    .mutation(({ ctx, input }) => disableCodes(ctx.deps, input)),
  /** Credits the caller once per code; wrong guesses are rate-limited per user and per IP. */
  redeem: userProcedure
    .input(redeemSchema)
    .mutation(({ ctx, input }) => redeemCode(ctx.deps, ctx.user.id, ctx.ip, input.code)),
});
