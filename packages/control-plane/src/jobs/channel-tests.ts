import type { ControlPlaneDeps } from '../deps.ts';
import { runChannelTests } from '../modules/health/health.service.ts';

/**
 * Scheduled channel tests (SPEC §4): every `channel.test_frequency` minutes (0 = off), every enabled
 * and auto-disabled channel is tested; a pass re-enables an auto-disabled one. The runner ticks often
 * and this decides when a run is due, so a long run never overlaps the next one.
 */
export function createChannelTestsJob(deps: ControlPlaneDeps, o: { concurrency?: number } = {}) {
  let lastRun = 0;
  return async function run() {
    const everyMs = deps.cfg.channel.test_frequency * 60_000;
    if (everyMs <= 0) return { tested: 0 };
    const now = deps.now();
    if (now - lastRun < everyMs) return { tested: 0 };
    lastRun = now;
    const results = await runChannelTests(deps, { concurrency: o.concurrency ?? 4 });
    const failed = results.filter((r) => !r.ok);
    if (failed.length)
      deps.logger.warn(
        { failed: failed.map((r) => ({ id: r.channelId, error: r.error })) },
        'channel tests failed',
      );
    return {
      tested: results.length,
      failed: failed.length,
      reenabled: results.filter((r) => r.reenabled).length,
    };
  };
}
