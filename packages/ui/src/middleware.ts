import { createMiddleware } from '@solidjs/start/middleware';
import { dbUnavailable, noteDbError } from './server/db-health.ts';
import { dbUnavailableJson, dbUnavailablePage } from './server/unavailable-page.ts';

/*
 * Runs before every request of the site. While the SQL database is known to be unreachable, pages
 * answer the "database unavailable" page (503) and the other API routes a JSON 503, without touching
 * the database; an API route that meets a connection error answers the same instead of a stack
 * trace. The tRPC API (typed SERVICE_UNAVAILABLE error), server functions (the route guards) and the
 * health endpoint answer for themselves.
 */

/** Paths that never go through this check. */
const PASS = [/^\/_build\//, /^\/assets\//, /^\/_server/, /^\/api\/trpc(\/|$)/, /^\/api\/health$/];

export default createMiddleware([
  async (event, next) => {
    const request = event.req;
    const path = new URL(request.url).pathname;
    if (PASS.some((re) => re.test(path))) return next();
    const api = path.startsWith('/api/');
    const page = !api && (request.method === 'GET' || request.method === 'HEAD');
    if (!api && !page) return next();
    if (dbUnavailable()) return page ? dbUnavailablePage(request) : dbUnavailableJson();
    try {
      return await next();
    } catch (err) {
      if (noteDbError(err)) return page ? dbUnavailablePage(request) : dbUnavailableJson();
      throw err;
    }
  },
]);
