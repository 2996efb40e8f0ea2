import { adminProcedure, router } from '../../trpc/init.ts';
import {
  createNotifierSchema,
  createRuleSchema,
  historySchema,
  idSchema,
  updateNotifierSchema,
  updateRuleSchema,
} from './alerts.schemas.ts';
import { alertHistory, createRule, deleteRule, listRules, updateRule } from './alerts.service.ts';
import {
  createNotifier,
  deleteNotifier,
  listNotifiers,
  sendTestNotification,
  updateNotifier,
} from './notifications.service.ts';

export const alertsRouter = router({
  rules: adminProcedure.query(({ ctx }) => listRules(ctx.deps)),
  createRule: adminProcedure
    .input(createRuleSchema)
    .mutation(({ ctx, input }) => createRule(ctx.deps, input)),
  updateRule: adminProcedure
    .input(updateRuleSchema)
    .mutation(({ ctx, input }) => updateRule(ctx.deps, input)),
  deleteRule: adminProcedure.input(idSchema).mutation(({ ctx, input }) => deleteRule(ctx.deps, input.id)),
  /** notification channels, secrets masked */
  channels: adminProcedure.query(({ ctx }) => listNotifiers(ctx.deps)),
  createChannel: adminProcedure
    .input(createNotifierSchema)
    .mutation(({ ctx, input }) => createNotifier(ctx.deps, input)),
  updateChannel: adminProcedure
    .input(updateNotifierSchema)
    .mutation(({ ctx, input }) => updateNotifier(ctx.deps, input)),
  deleteChannel: adminProcedure
    .input(idSchema)
    .mutation(({ ctx, input }) => deleteNotifier(ctx.deps, input.id)),
  /** sends a test message now; the outcome (attempts, error) comes back */
  sendTest: adminProcedure
    .input(idSchema)
    .mutation(({ ctx, input }) => sendTestNotification(ctx.deps, input.id)),
  history: adminProcedure.input(historySchema).query(({ ctx, input }) => alertHistory(ctx.deps, input)),
});
