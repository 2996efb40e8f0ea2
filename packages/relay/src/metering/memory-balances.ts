import { counterBaseInSql } from '@tollgate/shared/balance-keys.ts';
import type { Db } from '@tollgate/shared/db/index.ts';
import type { Logger } from '@tollgate/shared/logger.ts';
import { type WriteOptions, writeSettlements } from './settlements-sql.ts';
import type { BalanceStore, Hold, HoldRefusal, Settlement } from './types.ts';

/** `base` mirrors SQL (balance or remaining quota); `held` open holds; `pending` settled, not yet in SQL. */
interface Counter {
  base: number;
  held: number;
  pending: number;
}

const available = (c: Counter) => c.base - c.held - c.pending;

export interface MemoryBalancesOptions extends WriteOptions {
  db: Db;
  logger: Logger;
  /** ms between flushes to SQL */
  flushIntervalMs: number;
  /** settlements kept in memory at most while SQL is down (then the oldest are dropped, logged) */
  maxQueue?: number;
  /** after each write: the settlements that write really inserted (not written before by anyone) */
  onApplied?: (applied: Settlement[]) => void;
}

/**
 * Balances for one relay without Redis (embedded default): counters in this process, settlements
 * queued and written to SQL in one transaction per interval. Holds and settlements never wait for SQL
 * except the first time a user or key is seen.
 */
export function createMemoryBalances(
  o: MemoryBalancesOptions,
): BalanceStore & { queued(): number; release(h: Hold): void } {
  const users = new Map<number, Counter>();
  const tokens = new Map<number, Counter>();
  const loading = new Map<string, Promise<Counter>>();
  let queue: Settlement[] = [];
  /** settlements whose user (`u:<id>`) or key (`t:<id>`) counter was not loaded: no `pending` to undo */
  const uncounted = new Set<string>();
  let flushing: Promise<void> | undefined;
  const maxQueue = o.maxQueue ?? 1_000_000;

  async function load(kind: 'user' | 'token', id: number): Promise<Counter> {
    const map = kind === 'user' ? users : tokens;
    const have = map.get(id);
    if (have) return have;
    const key = `${kind}:${id}`;
    let p = loading.get(key);
    if (!p) {
      p = (async () => {
        const base = await counterBaseInSql(o.db, kind, id);
        const c = map.get(id) ?? { base, held: 0, pending: 0 };
        map.set(id, c);
        return c;
      })().finally(() => loading.delete(key));
      loading.set(key, p);
    }
    return p;
  }

  async function flushNow(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        const sums = await writeSettlements(o.db, batch, o);
        if (sums.applied.length) o.onApplied?.(sums.applied);
      } catch (err) {
        queue = batch.concat(queue);
        if (queue.length > maxQueue) {
          const dropped = queue.splice(0, queue.length - maxQueue);
          o.logger.error({ dropped: dropped.length }, 'settlement queue full: oldest settlements dropped');
        }
        o.logger.warn(
          { err: (err as Error).message, queued: queue.length },
          'cannot write settlements yet; will retry',
        );
        return;
      }
      // SQL now holds these costs: move them from `pending` into `base`
      for (const s of batch) {
        const u = users.get(s.userId);
        const uCounted = !(uncounted.size > 0 && uncounted.delete(`u:${s.requestId}`));
        if (u) {
          if (uCounted) u.pending -= s.cost;
          u.base -= s.cost;
        }
        const tCounted = !(uncounted.size > 0 && uncounted.delete(`t:${s.requestId}`));
        const t = s.limitedKey ? tokens.get(s.tokenId) : undefined;
        if (t) {
          if (tCounted) t.pending -= s.cost;
          t.base -= s.cost;
        }
      }
    }
  }

  /** Flushes and refreshes run one at a time, so a refresh never reads SQL halfway through a flush. */
  let chain: Promise<void> = Promise.resolve();
  function serial(fn: () => Promise<void>): Promise<void> {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  }

  function flush(): Promise<void> {
    if (!flushing) flushing = serial(flushNow).finally(() => (flushing = undefined));
    return flushing;
  }

  const timer = setInterval(() => void flush(), o.flushIntervalMs);
  timer.unref();

  function refresh(kind: 'user' | 'token', id: number): Promise<void> {
    const map = kind === 'user' ? users : tokens;
    if (!map.has(id)) return Promise.resolve();
    return serial(async () => {
      const base = await counterBaseInSql(o.db, kind, id);
      const c = map.get(id);
      if (c) c.base = base;
    });
  }

  return {
    async hold(h): Promise<HoldRefusal | undefined> {
      const u = await load('user', h.userId);
      const t = h.limitedKey ? await load('token', h.tokenId) : undefined;
      if (t && available(t) < h.amount) return 'insufficient_quota';
      if (available(u) < h.amount) return 'insufficient_balance';
      u.held += h.amount;
      if (t) t.held += h.amount;
      return undefined;
    },
    async settle(h: Hold, s: Settlement) {
      const u = users.get(h.userId);
      if (u) {
        u.held -= h.amount;
        u.pending += s.cost;
      } else uncounted.add(`u:${s.requestId}`);
      if (h.limitedKey) {
        const t = tokens.get(h.tokenId);
        if (t) {
          t.held -= h.amount;
          t.pending += s.cost;
        } else uncounted.add(`t:${s.requestId}`);
      }
      queue.push(s);
    },
    /** gives back a hold without a settlement (the request settled elsewhere) */
    release(h: Hold) {
      const u = users.get(h.userId);
      if (u) u.held -= h.amount;
      const t = h.limitedKey ? tokens.get(h.tokenId) : undefined;
      if (t) t.held -= h.amount;
    },
    refreshUser: (id) => refresh('user', id),
    refreshToken: (id) => refresh('token', id),
    flush,
    queued: () => queue.length,
    async close() {
      clearInterval(timer);
      await flush();
      await flush();
    },
  };
}
