export { bootstrap } from './bootstrap.ts';
export { type ControlPlaneDeps, closeControlPlaneDeps, createControlPlaneDeps } from './deps.ts';
export { startJobs } from './jobs/runner.ts';
export { readCookie, SESSION_COOKIE, type SessionUser, sessionUser } from './modules/auth/sessions.ts';
export { type AppRouter, appRouter, createCaller } from './trpc/app-router.ts';
export { createContext } from './trpc/context.ts';
export type { Context } from './trpc/init.ts';
