/**
 * Per (channel, model) cooldown in this relay's memory (SPEC §4): a failure puts the pair in cooldown,
 * renewed on each new failure; selection skips cooling pairs while another candidate exists.
 */
export interface Cooldowns {
  isCoolingDown(channelId: number, model: string): boolean;
  fail(channelId: number, model: string): void;
  succeed(channelId: number, model: string): void;
  /** pairs cooling down now (metrics) */
  active(): number;
}

export function createCooldowns(ttlMs: number, now: () => number = Date.now): Cooldowns {
  const until = new Map<string, number>();
  const key = (c: number, m: string) => `${c}\u0000${m}`;
  return {
    isCoolingDown(c, m) {
      if (until.size === 0) return false;
      const t = until.get(key(c, m));
      if (t === undefined) return false;
      if (t > now()) return true;
      until.delete(key(c, m));
      return false;
    },
    fail(c, m) {
      if (ttlMs > 0) until.set(key(c, m), now() + ttlMs);
    },
    succeed(c, m) {
      if (until.size > 0) until.delete(key(c, m));
    },
    active() {
      const t = now();
      let n = 0;
      for (const [k, v] of until) {
        if (v > t) n++;
        else until.delete(k);
      }
      return n;
    },
  };
}
