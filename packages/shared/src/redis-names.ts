/**
 * Every Redis key and channel Tollgate uses, under one prefix (`redis_prefix`), so several
 * deployments — or test runs — can share one Redis without seeing each other's data.
 */
export interface RedisNames {
  prefix: string;
  /** pub/sub channel of config changes */
  configChannel: string;
  /** stream of relay events for the control plane */
  eventsStream: string;
  /** stream of settlements for the flushers */
  settlementsStream: string;
  /** lock of the control plane's job leader */
  jobsLeader: string;
  /** prefix of rate-limiter keys */
  rateLimit: string;
  /** hot balance counter of a user */
  userBalance(userId: number): string;
  /** hot quota counter of a limited key */
  tokenQuota(tokenId: number): string;
  /** SCAN pattern of every balance and quota counter */
  countersPattern: string;
  /** which counter a key from `countersPattern` is; undefined for anything else */
  parseCounter(key: string): { kind: 'user' | 'token'; id: number } | undefined;
  /** the open holds of one relay (request id → `userKey|tokenKey|amount`) */
  holds(relayId: string): string;
  /** a relay's heartbeat; when it expires its open holds are released */
  relayAlive(relayId: string): string;
  /**
   * request ids whose settlement a relay's outage fallback wrote to SQL and took out of `base`: the
   * stream flusher does not take them out again (a settlement may be in both after a broken connection)
   */
  fallbackWritten: string;
}

export function redisNames(prefix = 'tollgate:'): RedisNames {
  return {
    prefix,
    configChannel: `${prefix}config`,
    eventsStream: `${prefix}events`,
    settlementsStream: `${prefix}settlements`,
    jobsLeader: `${prefix}leader:jobs`,
    rateLimit: `${prefix}rl:`,
    userBalance: (id) => `${prefix}bal:u:${id}`,
    tokenQuota: (id) => `${prefix}bal:t:${id}`,
    countersPattern: `${prefix}bal:*`,
    parseCounter(key) {
      const m = /^bal:([ut]):(\d+)$/.exec(key.slice(prefix.length));
      if (!key.startsWith(prefix) || !m) return undefined;
      return { kind: m[1] === 'u' ? 'user' : 'token', id: Number(m[2]) };
    },
    holds: (relayId) => `${prefix}holds:${relayId}`,
    relayAlive: (relayId) => `${prefix}relay:${relayId}`,
    fallbackWritten: `${prefix}fallback-written`,
  };
}
