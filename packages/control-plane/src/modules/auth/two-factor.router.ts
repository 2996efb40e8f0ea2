import { z } from 'zod';
import { userProcedure } from '../../trpc/init.ts';
import { beginTotpSetup, disableTotp, enableTotp, totpStatus } from './two-factor.service.ts';

/** A 6-digit authenticator code; a space in the middle ("123 456", as apps show it) is allowed. */
export const totpCodeSchema = z
  .string()
  .trim()
  .regex(/^\d{3} ?\d{3}$/, 'a 6-digit code')
  .transform((v) => v.replace(' ', ''));

/**
 * Two-factor sign-in (TOTP) for the signed-in user, merged into the `auth` router. Every procedure
 * acts on `ctx.user.id` only. Sign-in itself asks for the code in `auth.login` (`totp`).
 */
export const twoFactorProcedures = {
  /** `{ enabled, enabledAt, pending }` — never the secret. */
  totpStatus: userProcedure.query(({ ctx }) => totpStatus(ctx.deps, ctx.user.id)),
  /** A new secret (base32) and its otpauth:// URI, shown once; two-factor stays as it was until enabled. */
  totpSetup: userProcedure.mutation(({ ctx }) => beginTotpSetup(ctx.deps, ctx.user.id)),
  /** Confirms the pending secret with a code (and, when replacing one, a code of the current secret). */
  totpEnable: userProcedure
    .input(z.object({ code: totpCodeSchema, currentCode: totpCodeSchema.optional() }))
    .mutation(({ ctx, input }) => enableTotp(ctx.deps, ctx.user.id, input)),
  /** Turns two-factor off; needs a current code. */
  totpDisable: userProcedure
    .input(z.object({ code: totpCodeSchema }))
    .mutation(({ ctx, input }) => disableTotp(ctx.deps, ctx.user.id, input.code)),
};
