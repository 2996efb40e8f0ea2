import 'server-only';
import {
  bootstrap,
  type ControlPlaneDeps,
  closeControlPlaneDeps,
  createControlPlaneDeps,
} from '@tollgate/control-plane';
import { loadConfig } from '@tollgate/shared/config.ts';

/*
 * One set of deps per process: the Nitro plugin (startup.ts: jobs) and the page/API bundle are built
 * as separate bundles, each with its own copy of this module, so the promise lives on globalThis
 * (one database pool, one Redis connection, one migration run).
 */
const KEY = Symbol.for('tollgate.site.deps');
const g = globalThis as unknown as Record<symbol, Promise<ControlPlaneDeps> | undefined>;

async function init(): Promise<ControlPlaneDeps> {
  const cfg = loadConfig({ argv: process.argv.slice(2), env: process.env });
  const deps = createControlPlaneDeps(cfg, { name: 'site' });
  try {
    await bootstrap(deps);
  } catch (err) {
    // e.g. the database is down at start-up: the next call starts over with fresh connections
    await closeControlPlaneDeps(deps).catch(() => undefined);
    throw err;
  }
  return deps;
}

/**
 * The control-plane dependencies of this process, created once on first use: loads the config from
 * argv/env, opens the database, migrates it and creates the first admin. A failed start-up is not
 * cached, so the next request tries again.
 */
export function getDeps(): Promise<ControlPlaneDeps> {
  let p = g[KEY];
  if (!p) {
    p = init().catch((err: unknown) => {
      if (g[KEY] === p) g[KEY] = undefined;
      throw err;
    });
    g[KEY] = p;
  }
  return p;
}

/** Closes this process's database pool and Redis connection, if they were opened (site shutdown). */
export async function closeDeps(): Promise<void> {
  const p = g[KEY];
  g[KEY] = undefined;
  const deps = await p?.catch(() => undefined);
  if (deps) await closeControlPlaneDeps(deps).catch(() => undefined);
}
