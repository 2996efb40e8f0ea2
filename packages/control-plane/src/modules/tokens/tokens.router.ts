import { router, userProcedure } from '../../trpc/init.ts';
import { createTokenSchema, tokenIdSchema, tokenStatusSchema, updateTokenSchema } from './tokens.schemas.ts';
import {
  createToken,
  deleteToken,
  getToken,
  listTokens,
  resetToken,
  revealToken,
  setTokenStatus,
  tokenOptions,
  updateToken,
} from './tokens.service.ts';

/** The caller's own keys; every procedure is scoped to `ctx.user.id`. */
export const tokensRouter = router({
  list: userProcedure.query(({ ctx }) => listTokens(ctx.deps, ctx.user.id)),
  /** The groups the caller's keys may use, new-key defaults and the display currency. */
  options: userProcedure.query(({ ctx }) => tokenOptions(ctx.deps, ctx.user.id)),
  get: userProcedure
    .input(tokenIdSchema)
    .query(({ ctx, input }) => getToken(ctx.deps, ctx.user.id, input.id)),
  create: userProcedure
    .input(createTokenSchema)
    .mutation(({ ctx, input }) => createToken(ctx.deps, ctx.user.id, input)),
  update: userProcedure
    .input(updateTokenSchema)
    .mutation(({ ctx, input }) => updateToken(ctx.deps, ctx.user.id, input)),
  setStatus: userProcedure
    .input(tokenStatusSchema)
    .mutation(({ ctx, input }) => setTokenStatus(ctx.deps, ctx.user.id, input.id, input.status)),
  reset: userProcedure
    .input(tokenIdSchema)
    .mutation(({ ctx, input }) => resetToken(ctx.deps, ctx.user.id, input.id)),
  delete: userProcedure
    .input(tokenIdSchema)
    .mutation(({ ctx, input }) => deleteToken(ctx.deps, ctx.user.id, input.id)),
  reveal: userProcedure
    .input(tokenIdSchema)
    .mutation(({ ctx, input }) => revealToken(ctx.deps, ctx.user.id, input.id)),
});
