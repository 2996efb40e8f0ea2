import { isDbUnavailable, isDriverError } from '@tollgate/shared/db/unavailable.ts';
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { ControlPlaneDeps } from '../deps.ts';
import { DB_UNAVAILABLE_MESSAGE, DB_UNAVAILABLE_REASON, ServiceError } from '../errors.ts';
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

/** The error of a request that needs the SQL database while it cannot be reached (HTTP 503). */
export function databaseUnavailable(cause?: unknown): TRPCError {
  return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: DB_UNAVAILABLE_MESSAGE, cause });
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause.flatten() : null;
    const { stack: _stack, ...data } = shape.data;
    const dbDown = error.code === 'SERVICE_UNAVAILABLE' && error.message === DB_UNAVAILABLE_MESSAGE;
    // a driver's text names tables, hosts and ports: the caller gets a plain message (it is logged)
    const message =
      !dbDown && error.code === 'INTERNAL_SERVER_ERROR' && isDriverError(error.cause)
        ? 'internal error'
        : shape.message;
    return {
      ...shape,
      message,
      data: { ...data, zodError: zod, reason: dbDown ? DB_UNAVAILABLE_REASON : undefined },
    };
  },
});

/**
 * Maps service errors (values) to tRPC errors at the router boundary, keeping the cause; a database
 * that cannot be reached becomes SERVICE_UNAVAILABLE "database unavailable", never the driver's text.
 */
const serviceErrors = t.middleware(async ({ next }) => {
  const res = await next();
  if (!res.ok) {
    const cause = res.error.cause;
    if (cause instanceof ServiceError)
      throw new TRPCError({ code: cause.code, message: cause.message, cause });
    if (res.error.code !== 'SERVICE_UNAVAILABLE' && isDbUnavailable(res.error))
      throw databaseUnavailable(cause ?? res.error);
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
