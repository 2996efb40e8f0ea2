import { isDbUnavailable } from '@tollgate/shared/db/unavailable.ts';
import type { ControlPlaneDeps } from '../deps.ts';
import { readCookie, SESSION_COOKIE, sessionUser } from '../modules/auth/sessions.ts';
import { type Context, databaseUnavailable } from './init.ts';

/**
 * Builds the tRPC context from an HTTP request: session cookie → user. A database that cannot be
 * reached answers SERVICE_UNAVAILABLE for the whole request.
 */
export async function createContext(
  deps: ControlPlaneDeps,
  req: Request,
  resHeaders: Headers,
  opts: { ip?: string } = {},
): Promise<Context> {
  const token = readCookie(req.headers.get('cookie'), SESSION_COOKIE);
  const url = new URL(req.url);
  const secure = url.protocol === 'https:' || req.headers.get('x-forwarded-proto') === 'https';
  let user: Context['user'];
  try {
    user = await sessionUser(deps, token);
  } catch (err) {
    if (isDbUnavailable(err)) throw databaseUnavailable(err);
    throw err;
  }
  return {
    deps,
    user,
    ip: opts.ip ?? '',
    userAgent: req.headers.get('user-agent') ?? '',
    resHeaders,
    secure,
    csrfHeader: req.headers.get('x-tollgate-csrf') === '1',
  };
}
