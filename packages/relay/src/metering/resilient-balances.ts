import type { Logger } from '@tollgate/shared/logger.ts';
import { isRedisUnreachable } from '@tollgate/shared/redis.ts';
import { RelayError } from '../errors.ts';
import type { RedisBalanceStore } from './redis-balances.ts';
import type { BalanceStore, Hold, HoldRefusal, Settlement } from './types.ts';

/** The in-process store used while Redis is away (memory-balances.ts). */
export type FallbackStore = BalanceStore & { queued(): number; release(h: Hold): void };

export interface ResilientBalancesOptions {
  primary: RedisBalanceStore;
  /**
   * A fresh in-process store, seeded from SQL (one per outage); it calls `onApplied` with the
   * settlements each of its writes really inserted into SQL.
   */
  createFallback: (onApplied: (applied: Settlement[]) => void) => FallbackStore;
  logger: Logger;
  /**
   * Settlements waiting for SQL (the shared stream plus this relay's fallback queue) above which new
   * requests are refused with 503 `billing_unavailable`: the buffer is bounded, nothing is served unbilled.
   */
  maxBacklog: number;
  /** how often recovery is attempted once Redis answers again (ms) */
  recoverEveryMs?: number;
}

export interface ResilientBalances extends BalanceStore {
  /** settlements not yet in SQL: the shared stream (sampled) + this relay's fallback queue */
  backlog(): number;
  /** whether Redis does not answer, so new holds go to the in-process fallback */
  fallbackActive(): boolean;
  /** one recovery step now (tests; the timer runs it too) */
  recover(): Promise<void>;
}

/** after the fallback is retired, how long before its counters are set from SQL (other relays' fallbacks apply their costs first) */
const RECONCILE_DELAY_MS = 5000;
const RETRY = { 'retry-after': '5' };

/**
 * Production balances that survive a Redis outage (issue #8): while Redis does not answer, holds and
 * settlements go to an in-process store seeded from SQL, whose settlements are written to SQL directly
 * (idempotent by request id, like the stream flusher's). When Redis is back, new holds go to Redis at
 * once; the fallback finishes its open holds, writes its queue, and then
 *  - `base` of the Redis counters drops by what the fallback wrote to SQL (`base` mirrors SQL), and
 *  - holds taken in Redis whose settlement had to go to the fallback are given back (by request id).
 * While Redis is down each relay checks balances on its own: a user can overspend by what the other
 * relays hold at the same time (bounded by their in-flight requests). A stream that must extend its
 * Redis hold during the outage extends it in the fallback (checked against SQL like any new hold).
 */
export function createResilientBalances(o: ResilientBalancesOptions): ResilientBalances {
  const { primary } = o;
  let fallback: FallbackStore | undefined;
  /** holds living in the fallback (request id → open) */
  const inFallback = new Set<string>();
  /** holds living in Redis, so a stream's extension goes where its hold is */
  const inRedis = new Set<string>();
  /** extensions of Redis holds taken in the fallback while Redis was away (request id → amount) */
  const extHeld = new Map<string, number>();
  /** request ids whose Redis hold must be given back once Redis answers */
  const orphans = new Set<string>();
  /** Redis counter key → cost the fallback inserted into SQL (a settlement the stream wrote first is not here) */
  const debts = new Map<string, number>();
  /** …and the request ids of those settlements */
  let debtIds: string[] = [];
  /**
   * Counters this relay's fallback touched: once everything is back on Redis and quiet, `base` is set
   * from SQL (exact even where a broken connection left it unclear whether Redis ran a settlement).
   */
  const touched = new Map<string, { kind: 'user' | 'token'; id: number }>();
  let reconcileAfter = 0;
  let lastReconcile = 0;
  let recovering: Promise<void> | undefined;

  const backlog = () => primary.backlog() + (fallback?.queued() ?? 0);
  let lastUnavailableLog = 0;
  /** a request refused because neither Redis nor the fallback could hold for it (logged ≤ every 10 s) */
  const unavailable = (cause: unknown) => {
    if (Date.now() - lastUnavailableLog > 10_000) {
      lastUnavailableLog = Date.now();
      o.logger.warn({ err: (cause as Error)?.message }, 'billing unavailable: requests are refused with 503');
    }
    return new RelayError('billing_unavailable', { cause, headers: RETRY });
  };

  function ensureFallback(): FallbackStore {
    if (!fallback) {
      o.logger.warn('Redis does not answer: balances fall back to this relay (in-process, SQL-backed)');
      fallback = o.createFallback((applied) => {
        for (const s of applied) owe(s);
      });
    }
    return fallback;
  }

  function touch(s: Settlement): void {
    touched.set(`u${s.userId}`, { kind: 'user', id: s.userId });
    if (s.limitedKey) touched.set(`t${s.tokenId}`, { kind: 'token', id: s.tokenId });
  }

  function owe(s: Settlement): void {
    if (s.cost === 0) return;
    debtIds.push(s.requestId);
    const u = primary.userKey(s.userId);
    debts.set(u, (debts.get(u) ?? 0) + s.cost);
    if (s.limitedKey) {
      const t = primary.tokenKey(s.tokenId);
      debts.set(t, (debts.get(t) ?? 0) + s.cost);
    }
  }

  /** `heldThere`: what of the hold the fallback holds (the rest lives in Redis and is released there) */
  async function settleInFallback(h: Hold, s: Settlement, heldThere: number): Promise<void> {
    const store = ensureFallback();
    touch(s);
    await store.settle({ ...h, amount: heldThere }, s);
  }

  async function fallbackHold(h: Hold): Promise<HoldRefusal | undefined> {
    try {
      return await ensureFallback().hold(h);
    } catch (err) {
      throw unavailable(err);
    }
  }

  async function recoverNow(): Promise<void> {
    if (!primary.ready()) return;
    if (orphans.size > 0) {
      const ids = [...orphans];
      await primary.releaseHolds(ids);
      for (const id of ids) orphans.delete(id);
    }
    // every debt is a cost SQL has already (recorded after the insert): `base` may drop by it now
    if (debts.size > 0 || debtIds.length > 0) {
      const owed = new Map(debts);
      const ids = debtIds;
      debts.clear();
      debtIds = [];
      try {
        await primary.applyDebt(owed, ids);
      } catch (err) {
        for (const [k, v] of owed) debts.set(k, (debts.get(k) ?? 0) + v);
        debtIds = ids.concat(debtIds);
        throw err;
      }
    }
    if (fallback) {
      const busy = () => inFallback.size > 0 || extHeld.size > 0;
      if (busy()) return;
      await fallback.flush();
      if (fallback.queued() > 0 || busy()) return; // SQL is not answering: try later
      const done = fallback;
      fallback = undefined;
      // writes what arrived since the flush; its debts are applied on the next tick
      await done.close();
      reconcileAfter = Date.now() + RECONCILE_DELAY_MS;
      o.logger.info('Redis answers again: balances are back on Redis');
      return;
    }
    // every relay has had time to apply its own fallback's costs: set the counters this one touched
    // from SQL where they are quiet (the rest are tried again)
    const now = Date.now();
    if (touched.size === 0 || debts.size > 0 || now < reconcileAfter || now - lastReconcile < 2000) return;
    lastReconcile = now;
    for (const [k, c] of touched) if (await primary.reconcile(c.kind, c.id)) touched.delete(k);
  }

  function recover(): Promise<void> {
    recovering ??= recoverNow()
      .catch((err: unknown) =>
        o.logger.warn({ err: (err as Error).message }, 'balance recovery failed; retrying'),
      )
      .finally(() => {
        recovering = undefined;
      });
    return recovering;
  }

  const timer = setInterval(() => {
    if (fallback || orphans.size > 0 || debts.size > 0 || touched.size > 0) void recover();
  }, o.recoverEveryMs ?? 500);
  timer.unref();

  return {
    backlog,
    fallbackActive: () => !primary.ready(),
    recover,

    async hold(h: Hold): Promise<HoldRefusal | undefined> {
      const id = h.requestId;
      // a stream extending a hold that lives in the fallback
      if (inFallback.has(id)) return fallbackHold(h);
      // …or in Redis: never refused for the backlog (that would cut a stream already paid for)
      const extension = inRedis.has(id);
      if (!extension && backlog() >= o.maxBacklog) {
        throw new RelayError('billing_unavailable', {
          message: 'Billing is catching up with a backlog; try again in a moment.',
          headers: RETRY,
        });
      }
      if (primary.ready()) {
        try {
          const refused = await primary.hold(h);
          // (an extension answered after its request settled must not be remembered again)
          if (!refused && !extension) inRedis.add(id);
          return refused;
        } catch (err) {
          if (err instanceof RelayError) throw err;
          // Redis answered but the hold failed (e.g. SQL down while seeding a new counter)
          if (primary.ready() && !isRedisUnreachable(err)) throw unavailable(err);
          // the connection broke during the script: it may have run — give it back when Redis returns
          orphans.add(id);
        }
      }
      const refused = await fallbackHold(h);
      if (!refused) {
        // an extension of a Redis hold is checked and held in process, and given back at settlement
        if (extension) extHeld.set(id, (extHeld.get(id) ?? 0) + h.amount);
        else inFallback.add(id);
      }
      return refused;
    },

    async settle(h: Hold, s: Settlement): Promise<void> {
      const id = h.requestId;
      if (inFallback.delete(id)) return settleInFallback(h, s, h.amount);
      inRedis.delete(id);
      const ext = extHeld.get(id) ?? 0;
      if (ext) extHeld.delete(id);
      if (orphans.has(id) || !primary.ready()) {
        orphans.add(id);
        return settleInFallback(h, s, ext);
      }
      try {
        await primary.settle(h, s);
      } catch (err) {
        o.logger.warn({ err: (err as Error).message, requestId: id }, 'settlement goes to the fallback');
        orphans.add(id);
        return settleInFallback(h, s, ext);
      }
      if (ext) fallback?.release({ ...h, amount: ext });
    },

    async refreshUser(id) {
      await fallback?.refreshUser(id);
    },
    async refreshToken(id) {
      await fallback?.refreshToken(id);
    },

    async flush() {
      await fallback?.flush();
      if (primary.ready()) await primary.flush();
      await recover();
    },

    async close() {
      clearInterval(timer);
      await recover();
      // Redis may still be away: what the fallback holds goes to SQL now
      await fallback?.close();
      // …and if Redis answers, the costs it just wrote move `base` before we go
      await recover();
      await primary.close();
      if (debts.size > 0)
        o.logger.warn(
          { counters: debts.size },
          'stopped while Redis was away: Redis counters overstate these balances until they are rebuilt',
        );
    },
  };
}
