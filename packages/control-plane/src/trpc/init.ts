import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { ControlPlaneDeps } from '../deps.ts';
import { ServiceError } from '../errors.ts';
import type { SessionUser } from '../modules/auth/sessions.ts';

/** Per-request context: the deps, the signed-in user (if any) and where to put response headers. */
export interface Context {
  deps: ControlPlaneDeps;
  user: SessionUser | undefined;
  ip: string;
  userAgent: string;
  /** headers to add to the HTTP response (Set-Cookie) */
  resHeaders: Headers;
  /** true when the site is served over TLS (Secure cookies) */
  secure: boolean;
  /**
   * The request carries the `x-tollgate-csrf` header. Browsers send custom headers only on same-origin
   * requests (or after a CORS preflight we never grant), so mutations require it: with SameSite=Lax
   * cookies this stops cross-site request forgery.
   */
  csrfHeader: boolean;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause.flatten() : null;
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, data: { ...data, zodError: zod } };
  },
});

/** Maps service errors (values) to tRPC errors at the router boundary, keeping the cause. */
const serviceErrors = t.middleware(async ({ next }) => {
  const res = await next();
  if (!res.ok && res.error.cause instanceof ServiceError) {
    const cause = res.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return res;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** Mutations must carry the CSRF header (see `Context.csrfHeader`). */
const csrf = t.middleware(({ ctx, type, next }) => {
  if (type === 'mutation' && !ctx.csrfHeader) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'missing x-tollgate-csrf header' });
  }
  return next();
});

export const publicProcedure = t.procedure.use(csrf).use(serviceErrors);

/** Any signed-in user. */
export const userProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'please sign in' });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** Admins only; checked on the server for every procedure. */
export const adminProcedure = userProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'admins only' });
  return next({ ctx });
});
