import { TRPCClientError } from '@trpc/client';
import { createSignal } from 'solid-js';
import { isServer } from 'solid-js/web';

/*
 * Browser side of "the database is unavailable": once a tRPC call or a route guard says so, the app
 * shows the "database unavailable" page instead of the current one (it polls and reloads when the
 * database is back). The server renders that page itself (middleware, or the error boundary).
 */

/** The message and `data.reason` the server uses (control-plane errors.ts); no server import here. */
const MESSAGE = 'database unavailable';
const REASON = 'database_unavailable';

const [down, setDown] = createSignal(false);

/** True once this page has met "database unavailable" (always false on the server). */
export function dbDown(): boolean {
  return !isServer && down();
}

/** Marks the database down for this page (the app swaps in the unavailable page). */
export function markDbDown(): void {
  if (!isServer) setDown(true);
}

/** A tRPC error (`data.reason`) or a route guard's error saying the database cannot be reached. */
export function isDbUnavailableError(err: unknown): boolean {
  if (err instanceof TRPCClientError)
    return (err.data as { reason?: string } | undefined)?.reason === REASON || err.message === MESSAGE;
  return err instanceof Error && err.message === MESSAGE;
}

/** For the tRPC client's fetch: a 503 the site marks as a database outage. */
export function noteResponse(res: Response): void {
  if (res.status === 503 && res.headers.get('x-tollgate-unavailable') === 'database') markDbDown();
}
