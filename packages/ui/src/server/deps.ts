import 'server-only';
import { bootstrap, type ControlPlaneDeps, createControlPlaneDeps } from '@tollgate/control-plane';
import { loadConfig } from '@tollgate/shared/config.ts';

let depsPromise: Promise<ControlPlaneDeps> | undefined;

async function init(): Promise<ControlPlaneDeps> {
  const cfg = loadConfig({ argv: process.argv.slice(2), env: process.env });
  const deps = createControlPlaneDeps(cfg, { name: 'site' });
  await bootstrap(deps);
  return deps;
}

/**
 * The control-plane dependencies of this process, created once on first use: loads the config from
 * argv/env, opens the database, migrates it and creates the first admin. A failed start-up is not
 * cached, so the next request tries again.
 */
export function getDeps(): Promise<ControlPlaneDeps> {
  if (!depsPromise) {
    depsPromise = init().catch((err: unknown) => {
      depsPromise = undefined;
      throw err;
    });
  }
  return depsPromise;
}
