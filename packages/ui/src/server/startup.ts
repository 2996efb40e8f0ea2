import { startJobs } from '@tollgate/control-plane';
import { definePlugin } from 'nitro';
import { startDbProbe, stopDbProbe } from './db-health.ts';
import { closeDeps, getDeps } from './deps.ts';

/**
 * Nitro plugin run once when the site process starts: opens the deps (migrate, first admin) right
 * away instead of on the first request, starts the control plane's background jobs and the database
 * probe (db-health.ts). A database that cannot be reached at start-up is retried until it answers;
 * meanwhile the pages say "database unavailable".
 */
export default definePlugin((nitroApp) => {
  let jobs: { stop(): Promise<void> } | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const start = (): Promise<void> =>
    getDeps()
      .then((deps) => {
        if (!closed) jobs = startJobs(deps);
      })
      .catch((err: unknown) => {
        console.error('site start-up failed; retrying in 5 s', err);
        if (closed) return;
        retry = setTimeout(() => void start(), 5_000);
        retry.unref();
      });
  const ready = start();
  startDbProbe();
  nitroApp.hooks.hook('close', async () => {
    closed = true;
    clearTimeout(retry);
    stopDbProbe();
    await ready;
    await jobs?.stop();
    // open connections would keep the process alive after SIGTERM
    await closeDeps();
  });
});
