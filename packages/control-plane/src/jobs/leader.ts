import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Leadership among site replicas so each job runs once (DESIGN §4): a Redis `SET NX PX` lock renewed
 * while held. Without Redis (embedded, one site) this process is always the leader.
 */
export interface Leader {
  isLeader(): boolean;
  stop(): Promise<void>;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createLeader(redis: Redis | undefined, o: { key: string; ttlMs?: number }): Leader {
  if (!redis) return { isLeader: () => true, stop: async () => undefined };
  const key = o.key;
  const ttl = o.ttlMs ?? 10_000;
  const me = randomBytes(8).toString('hex');
  let leader = false;
  const tick = async () => {
    try {
      if (leader) leader = (await redis.eval(RENEW, 1, key, me, String(ttl))) === 1;
      if (!leader) leader = (await redis.set(key, me, 'PX', ttl, 'NX')) === 'OK';
    } catch {
      leader = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), Math.floor(ttl / 3));
  timer.unref();
  return {
    isLeader: () => leader,
    async stop() {
      clearInterval(timer);
      if (leader) await redis.eval(RELEASE, 1, key, me).catch(() => undefined);
      leader = false;
    },
  };
}
