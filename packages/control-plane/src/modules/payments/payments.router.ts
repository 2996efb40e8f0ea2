import { z } from 'zod';
import { adminProcedure, router, userProcedure } from '../../trpc/init.ts';
import { createMailer } from './mailer.ts';
import { listPaymentEvents, listTopups } from './payments.queries.ts';
import {
  checkoutSchema,
  paymentSettingsPatchSchema,
  smtpSettingsPatchSchema,
  thresholdSchema,
  topupIdSchema,
} from './payments.schemas.ts';
import {
  getPaymentSettings,
  getSmtpSettings,
  setPaymentSettings,
  setSmtpSettings,
} from './payments.settings.ts';
import {
  getMyTopup,
  listMyTopups,
  myBalance,
  setMyThreshold,
  startCheckout,
  topupOptions,
} from './topups.service.ts';

export const paymentsRouter = router({
  /** Lemon Squeezy settings: options and masks, never a secret. */
  getSettings: adminProcedure.query(({ ctx }) => getPaymentSettings(ctx.deps)),
  /** Changes any subset; a secret left out is kept, an empty one removed. */
  setSettings: adminProcedure
    .input(paymentSettingsPatchSchema)
    .mutation(({ ctx, input }) => setPaymentSettings(ctx.deps, input)),
  getSmtp: adminProcedure.query(({ ctx }) => getSmtpSettings(ctx.deps)),
  setSmtp: adminProcedure
    .input(smtpSettingsPatchSchema)
    .mutation(({ ctx, input }) => setSmtpSettings(ctx.deps, input)),
  /** Sends a test e-mail to the signed-in admin. */
  testSmtp: adminProcedure.mutation(async ({ ctx }) => {
    const sent = await createMailer(ctx.deps)({
      to: ctx.user.email,
      subject: 'Tollgate SMTP test',
      text: 'SMTP works: this is the test e-mail from the payment settings page.',
    });
    return { sent };
  }),
  /** Recent top-ups of every user. */
  topups: adminProcedure
    .input(
      z.object({
        userId: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(500).default(100),
      }),
    )
    .query(({ ctx, input }) => listTopups(ctx.deps, input)),
  /** Recent verified webhooks and what was done with them. */
  events: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(100) }))
    .query(({ ctx, input }) => listPaymentEvents(ctx.deps, input.limit)),

  /** The amounts offered to users (and whether online top-up is available). */
  options: userProcedure.query(({ ctx }) => topupOptions(ctx.deps)),
  /** Starts a hosted checkout; the browser goes to `url`. */
  checkout: userProcedure
    .input(checkoutSchema.extend({ origin: z.string().max(200).optional() }))
    .mutation(({ ctx, input }) => startCheckout(ctx.deps, ctx.user, input)),
  /** One of the caller's own top-ups (the return page polls it) and the balance now. */
  topup: userProcedure
    .input(topupIdSchema)
    .query(({ ctx, input }) => getMyTopup(ctx.deps, ctx.user.id, input.id)),
  myTopups: userProcedure.query(({ ctx }) => listMyTopups(ctx.deps, ctx.user.id)),
  /** Balance, reminder threshold and whether the low-balance banner shows. */
  balance: userProcedure.query(({ ctx }) => myBalance(ctx.deps, ctx.user.id)),
  setThreshold: userProcedure
    .input(thresholdSchema)
    .mutation(({ ctx, input }) => setMyThreshold(ctx.deps, ctx.user.id, input.threshold)),
});
