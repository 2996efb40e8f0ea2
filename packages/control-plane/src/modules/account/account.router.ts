import { router, userProcedure } from '../../trpc/init.ts';
import { setLocaleSchema, updateProfileSchema } from './account.schemas.ts';
import { getProfile, setLocale, updateProfile } from './account.service.ts';
import { localeCookie } from './locale.ts';

/** The caller's own account; every procedure acts on `ctx.user.id` only. */
export const accountRouter = router({
  profile: userProcedure.query(({ ctx }) => getProfile(ctx.deps, ctx.user.id)),
  updateProfile: userProcedure
    .input(updateProfileSchema)
    .mutation(({ ctx, input }) => updateProfile(ctx.deps, ctx.user.id, input)),
  /** The language the site speaks to the caller (`en` or `zh-CN`). */
  setLocale: userProcedure.input(setLocaleSchema).mutation(async ({ ctx, input }) => {
    const profile = await setLocale(ctx.deps, ctx.user.id, input.locale);
    // the site renders in the cookie's language: remember it in this browser too
    ctx.resHeaders.append('Set-Cookie', localeCookie(input.locale, ctx.secure));
    return profile;
  }),
});
