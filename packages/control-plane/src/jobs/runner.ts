import { randomBytes } from 'node:crypto';
import { isDbUnavailable } from '@tollgate/shared/db/unavailable.ts';
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

/** While the database is down a job fails every tick: its failure is logged once per this many ms. */
const OUTAGE_LOG_EVERY_MS = 60_000;

/**
 * Runs the control plane's background jobs in the site process, on the leader only. A job never
 * overlaps with itself; a failing run is logged and retried on the next tick (a job that fails
 * because the database cannot be reached is logged once a minute, not every tick).
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
    { name: 'alerts', everyMs: deps.cfg.alerts_interval_seconds * 1000, run: alerts.evaluate },
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
    let outageLoggedAt = 0;
    const t = setInterval(() => {
      if (busy || stopped || !leader.isLeader()) return;
      busy = true;
      const p = job
        .run()
        .then(() => {
          outageLoggedAt = 0;
        })
        .catch((err: unknown) => {
          if (!isDbUnavailable(err)) return deps.logger.warn({ err, job: job.name }, 'job failed');
          const now = Date.now();
          if (now - outageLoggedAt < OUTAGE_LOG_EVERY_MS) return;
          outageLoggedAt = now;
          deps.logger.warn(
            { err: err instanceof Error ? err.message : String(err), job: job.name },
            'job failed: the database cannot be reached (logged once a minute while it lasts)',
          );
        })
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
