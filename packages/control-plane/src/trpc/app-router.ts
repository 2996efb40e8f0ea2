import { accountRouter } from '../modules/account/account.router.ts';
import { alertsRouter } from '../modules/alerts/alerts.router.ts';
import { authRouter } from '../modules/auth/auth.router.ts';
import { channelsRouter } from '../modules/channels/channels.router.ts';
import { codesRouter } from '../modules/codes/codes.router.ts';
import { docsRouter } from '../modules/docs/docs.router.ts';
import { groupsRouter } from '../modules/groups/groups.router.ts';
import { healthRouter } from '../modules/health/health.router.ts';
import { logsRouter } from '../modules/logs/logs.router.ts';
import { paymentsRouter } from '../modules/payments/payments.router.ts';
import { pricesRouter } from '../modules/prices/prices.router.ts';
import { settingsRouter } from '../modules/settings/settings.router.ts';
import { statementsRouter } from '../modules/statements/statements.router.ts';
import { statsRouter } from '../modules/stats/stats.router.ts';
import { tokensRouter } from '../modules/tokens/tokens.router.ts';
import { usersRouter } from '../modules/users/users.router.ts';
import { createCallerFactory, router } from './init.ts';

export const appRouter = router({
  alerts: alertsRouter,
  health: healthRouter,
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  channels: channelsRouter,
  prices: pricesRouter,
  groups: groupsRouter,
  settings: settingsRouter,
  stats: statsRouter,
  logs: logsRouter,
  payments: paymentsRouter,
  codes: codesRouter,
  statements: statementsRouter,
  account: accountRouter,
  docs: docsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
