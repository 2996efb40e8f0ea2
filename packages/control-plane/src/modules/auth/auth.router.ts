import { z } from 'zod';
import { ServiceError } from '../../errors.ts';
import { adminProcedure, publicProcedure, router, userProcedure } from '../../trpc/init.ts';
import { emailSchema, passwordSchema } from '../users/users.schemas.ts';
import { checkLogin, countLoginFailure, countRegistration } from './attempts.ts';
import { login, register, type SignInResult } from './auth.service.ts';
import { changePassword } from './password-change.ts';
import { deleteSession, listSessions, revokeAllSessions, revokeSession, sessionCookie } from './sessions.ts';
import { totpCodeSchema, twoFactorProcedures } from './two-factor.router.ts';

const credentials = z.object({
  email: emailSchema,
  password: z.string().min(1).max(200),
  /** the authenticator code, for accounts with two-factor sign-in on */
  totp: totpCodeSchema.optional(),
});

const sessionId = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/) });

export const authRouter = router({
  ...twoFactorProcedures,
  /** The caller's active sessions (devices), newest first. */
  sessions: userProcedure.query(({ ctx }) => listSessions(ctx.deps, ctx.user.id, ctx.user.sessionHash)),
  /** Signs out one of the caller's sessions. */
  revokeSession: userProcedure.input(sessionId).mutation(async ({ ctx, input }) => {
    if (!(await revokeSession(ctx.deps, ctx.user.id, input.id)))
      throw new ServiceError('NOT_FOUND', 'session not found');
    return { ok: true };
  }),
  /** "Log out everywhere": ends every session of the caller, this one included. */
  logoutEverywhere: userProcedure.mutation(async ({ ctx }) => {
    const n = await revokeAllSessions(ctx.deps, ctx.user.id);
    ctx.resHeaders.append('set-cookie', sessionCookie('', 0, ctx.secure));
    return { revoked: n };
  }),
  /** Changes the password (the current one is required) and ends the caller's other sessions. */
  changePassword: userProcedure
    .input(z.object({ current: z.string().min(1).max(200), next: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      await changePassword(ctx.deps, ctx.user.id, input.current, input.next);
      const revoked = await revokeAllSessions(ctx.deps, ctx.user.id, ctx.user.sessionHash);
      return { ok: true, otherSessionsEnded: revoked };
    }),
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
  /**
   * Signs in. With two-factor on and no `totp` in the input the result is `{ totpRequired: true }` (no
   * session, not counted as a failure): ask for the code and call again with it. A wrong or reused code
   * is UNAUTHORIZED and counts against the IP like a wrong password.
   */
  login: publicProcedure.input(credentials).mutation(async ({ ctx, input }): Promise<SignInResult> => {
    await checkLogin(ctx.deps, ctx.ip);
    const s = await login(ctx.deps, input, { ip: ctx.ip, userAgent: ctx.userAgent }).catch(
      async (err: unknown) => {
        if (err instanceof ServiceError && err.code === 'UNAUTHORIZED')
          await countLoginFailure(ctx.deps, ctx.ip);
        throw err;
      },
    );
    if (s.totpRequired) return { totpRequired: true };
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
      await countRegistration(ctx.deps, ctx.ip);
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
