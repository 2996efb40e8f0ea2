import { randomBytes } from 'node:crypto';
import type { ControlPlaneDeps } from '../deps.ts';
import { createAlertEngine } from '../modules/alerts/engine.ts';
import { createChannelTestsJob } from './channel-tests.ts';
import { createLeader } from './leader.ts';
import { createLowBalanceJob } from './low-balance.ts';
import { createRelayEventsJob } from './relay-events.ts';
import { createReleaseHoldsJob } from './release-holds.ts';
import { createStatementsJob } from './statements.ts';

interface Job {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/**
 * Runs the control plane's background jobs in the site process, on the leader only. A job never
 * overlaps with itself; a failing run is logged and retried on the next tick.
 */
export function startJobs(deps: ControlPlaneDeps, o: { jobs?: Job[] } = {}): { stop(): Promise<void> } {
  const leader = createLeader(deps.redis, { key: deps.redisNames.jobsLeader });
  const consumer = `site-${randomBytes(4).toString('hex')}`;
  const alerts = createAlertEngine(deps);
  const jobs: Job[] = o.jobs ?? [
    {
      name: 'relay-events',
      everyMs: 500,
      run: createRelayEventsJob(deps, { consumer, traffic: alerts.traffic }),
    },
    { name: 'alerts', everyMs: 15_000, run: alerts.evaluate },
    { name: 'channel-tests', everyMs: 30_000, run: createChannelTestsJob(deps) },
    { name: 'release-holds', everyMs: 5_000, run: createReleaseHoldsJob(deps) },
    {
      name: 'low-balance',
      everyMs: deps.cfg.low_balance_check_seconds * 1000,
      run: createLowBalanceJob(deps),
    },
    { name: 'statements', everyMs: 10 * 60_000, run: createStatementsJob(deps) },
  ];
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let stopped = false;
  for (const job of jobs) {
    let busy = false;
    const t = setInterval(() => {
      if (busy || stopped || !leader.isLeader()) return;
      busy = true;
      const p = job
        .run()
        .catch((err: unknown) => deps.logger.warn({ err, job: job.name }, 'job failed'))
        .finally(() => {
          busy = false;
          running.delete(p);
        });
      running.add(p);
    }, job.everyMs);
    t.unref();
    timers.push(t);
  }
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      await Promise.all(running);
      await leader.stop();
    },
  };
}
