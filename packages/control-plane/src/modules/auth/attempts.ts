import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';

interface Limiters {
  loginFailures: RateLimiterAbstract;
  registrations: RateLimiterAbstract;
}

const byDeps = new WeakMap<ControlPlaneDeps, Limiters>();

function make(deps: ControlPlaneDeps, name: string, points: number, duration: number): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration, keyPrefix: name });
  if (!deps.redis) return memory;
  return new RateLimiterRedis({
    storeClient: deps.redis,
    points,
    duration,
    keyPrefix: `${deps.redisNames.rateLimit}${name}`,
    insuranceLimiter: memory,
  });
}

function limiters(deps: ControlPlaneDeps): Limiters {
  let l = byDeps.get(deps);
  if (!l) {
    l = {
      loginFailures: make(deps, 'login-fail', deps.cfg.auth_login_failures_per_10min, 600),
      registrations: make(deps, 'register', deps.cfg.auth_registrations_per_hour, 3600),
    };
    byDeps.set(deps, l);
  }
  return l;
}

function tooMany(res: RateLimiterRes): ServiceError {
  return new ServiceError(
    'TOO_MANY_REQUESTS',
    `too many attempts; try again in ${Math.ceil(res.msBeforeNext / 1000)} s`,
  );
}

/** Refuses sign-in from an IP that failed too often recently (SPEC §7: login limited per IP). */
export async function checkLogin(deps: ControlPlaneDeps, ip: string): Promise<void> {
  const res = await limiters(deps).loginFailures.get(ip || 'unknown');
  if (res && res.consumedPoints >= deps.cfg.auth_login_failures_per_10min) throw tooMany(res);
}

/** Counts a failed sign-in. */
export async function countLoginFailure(deps: ControlPlaneDeps, ip: string): Promise<void> {
  await limiters(deps)
    .loginFailures.consume(ip || 'unknown')
    .catch(() => undefined);
}

/** Counts a registration, refusing past the hourly allowance of the IP. */
export async function countRegistration(deps: ControlPlaneDeps, ip: string): Promise<void> {
  try {
    await limiters(deps).registrations.consume(ip || 'unknown');
  } catch (err) {
    if (err instanceof RateLimiterRes) throw tooMany(err);
    // the store failed and no insurance answered: let the registration through
  }
}
