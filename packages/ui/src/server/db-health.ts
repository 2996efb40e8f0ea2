import 'server-only';
import { ping } from '@tollgate/shared/db/index.ts';
import { isDbUnavailable } from '@tollgate/shared/db/unavailable.ts';
import { getDeps } from './deps.ts';

/*
 * Whether this site process can reach its SQL database. Pages, the tRPC API and the other API routes
 * read `dbUnavailable()` before touching the database, so while it is down every request answers
 * "database unavailable" (503) at once instead of waiting for a driver timeout or leaking the
 * driver's error. Set by any request that meets a connection error and by a probe (`select 1`),
 * every 5 s while up and every second while down; the first probe that passes clears it — the
 * mysql2 pool opens new connections by itself, so the site recovers without a restart.
 */

const UP_EVERY_MS = 5_000;
const DOWN_EVERY_MS = 1_000;
const PING_TIMEOUT_MS = 3_000;

interface State {
  down: boolean;
  downSince: number;
  timer: NodeJS.Timeout | undefined;
  ticking: boolean;
  probing: Promise<boolean> | undefined;
}

/*
 * One state per process: the Nitro plugin (startup.ts) and the page/API bundle are built as separate
 * bundles, each with its own copy of this module, so the state lives on globalThis.
 */
const KEY = Symbol.for('tollgate.site.db-health');
const g = globalThis as unknown as Record<symbol, State | undefined>;
g[KEY] ??= { down: false, downSince: 0, timer: undefined, ticking: false, probing: undefined };
const st: State = g[KEY];

/** True while the database is known to be unreachable. */
export function dbUnavailable(): boolean {
  return st.down;
}

/** What the health endpoint reports. */
export function dbState(): { up: boolean; downSince: number | null } {
  return { up: !st.down, downSince: st.down ? st.downSince : null };
}

function markDown(reason: unknown) {
  if (st.down) return;
  st.down = true;
  st.downSince = Date.now();
  // the innermost cause names the failure (a migration error wraps the connection error)
  let root: unknown = reason;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  const detail = root instanceof Error ? root.message : String(root);
  console.warn(`[site] database unavailable (${detail}); pages answer 503 until it is back`);
  schedule();
}

function markUp() {
  if (!st.down) return;
  st.down = false;
  console.warn(`[site] database reachable again after ${Math.round((Date.now() - st.downSince) / 1000)} s`);
  schedule();
}

/**
 * Notes an error met while using the database: a connection error marks the database down (and
 * returns true, so the caller answers "unavailable"); any other error is left to the caller.
 */
export function noteDbError(err: unknown): boolean {
  if (!isDbUnavailable(err)) return false;
  markDown(err);
  return true;
}

class PingTimeout extends Error {
  override name = 'PingTimeout';
}

/** Pings the database now (at most one ping at a time); updates and returns whether it is up. */
export function checkDb(): Promise<boolean> {
  st.probing ??= (async () => {
    let t: NodeJS.Timeout | undefined;
    try {
      const deps = await getDeps();
      await Promise.race([
        ping(deps.db),
        new Promise((_, reject) => {
          t = setTimeout(
            () => reject(new PingTimeout(`no answer in ${PING_TIMEOUT_MS} ms`)),
            PING_TIMEOUT_MS,
          );
        }),
      ]);
      markUp();
      return true;
    } catch (err) {
      if (err instanceof PingTimeout || isDbUnavailable(err)) markDown(err);
      return false;
    } finally {
      clearTimeout(t);
      st.probing = undefined;
    }
  })();
  return st.probing;
}

/** Re-arms the probe for the interval of the new state (a tick in progress re-arms itself). */
function schedule() {
  if (st.timer === undefined || st.ticking) return;
  clearTimeout(st.timer);
  st.timer = setTimeout(tick, st.down ? DOWN_EVERY_MS : UP_EVERY_MS);
  st.timer.unref();
}

function tick() {
  st.ticking = true;
  void checkDb().finally(() => {
    st.ticking = false;
    if (st.timer === undefined) return;
    st.timer = setTimeout(tick, st.down ? DOWN_EVERY_MS : UP_EVERY_MS);
    st.timer.unref();
  });
}

/** Starts the background probe (once per process). */
export function startDbProbe(): void {
  if (st.timer !== undefined) return;
  st.timer = setTimeout(tick, 0);
  st.timer.unref();
}

/** Stops the background probe (server shutdown). */
export function stopDbProbe(): void {
  clearTimeout(st.timer);
  st.timer = undefined;
}
