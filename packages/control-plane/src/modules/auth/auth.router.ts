import { z } from 'zod';
import { adminProcedure, publicProcedure, router, userProcedure } from '../../trpc/init.ts';
import { emailSchema, passwordSchema } from '../users/users.schemas.ts';
import { login, register } from './auth.service.ts';
import { deleteSession, sessionCookie } from './sessions.ts';

const credentials = z.object({ email: emailSchema, password: z.string().min(1).max(200) });

export const authRouter = router({
  /** The signed-in user, or null. */
  me: publicProcedure.query(({ ctx }) =>
    ctx.user
      ? {
          id: ctx.user.id,
          email: ctx.user.email,
          displayName: ctx.user.displayName,
          role: ctx.user.role,
          group: ctx.user.groupName,
        }
      : null,
  ),
  login: publicProcedure.input(credentials).mutation(async ({ ctx, input }) => {
    const s = await login(ctx.deps, input, { ip: ctx.ip, userAgent: ctx.userAgent });
    ctx.resHeaders.append('set-cookie', sessionCookie(s.token, s.expiresAt - ctx.deps.now(), ctx.secure));
    return { userId: s.userId, role: s.role };
  }),
  register: publicProcedure
    .input(
      z.object({
        email: emailSchema,
        password: passwordSchema,
        displayName: z.string().trim().max(100).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const s = await register(ctx.deps, input, { ip: ctx.ip, userAgent: ctx.userAgent });
      ctx.resHeaders.append('set-cookie', sessionCookie(s.token, s.expiresAt - ctx.deps.now(), ctx.secure));
      return { userId: s.userId, role: s.role };
    }),
  logout: userProcedure.mutation(async ({ ctx }) => {
    await deleteSession(ctx.deps, ctx.user.sessionHash);
    ctx.resHeaders.append('set-cookie', sessionCookie('', 0, ctx.secure));
    return { ok: true };
  }),
  /** Lets the admin check their session is admin (used by page guards). */
  adminPing: adminProcedure.query(() => ({ ok: true })),
});
