import { startJobs } from '@tollgate/control-plane';
import { definePlugin } from 'nitro';
import { getDeps } from './deps.ts';

/**
 * Nitro plugin run once when the site process starts: opens the deps (migrate, first admin) right
 * away instead of on the first request, and starts the control plane's background jobs.
 */
export default definePlugin((nitroApp) => {
  let jobs: { stop(): Promise<void> } | undefined;
  const ready = getDeps()
    .then((deps) => {
      jobs = startJobs(deps);
    })
    .catch((err: unknown) => {
      console.error('site start-up failed; retrying on the first request', err);
    });
  nitroApp.hooks.hook('close', async () => {
    await ready;
    await jobs?.stop();
  });
});
