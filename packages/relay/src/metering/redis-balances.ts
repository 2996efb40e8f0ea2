import { hostname } from 'node:os';
import { counterBaseInSql, reconcileCounter } from '@tollgate/shared/balance-keys.ts';
import type { Db } from '@tollgate/shared/db/index.ts';
import type { Logger } from '@tollgate/shared/logger.ts';
import { isRedisTimeout, streamEntries } from '@tollgate/shared/redis.ts';
import type { RedisNames } from '@tollgate/shared/redis-names.ts';
import type { Redis } from 'ioredis';
import { type WriteOptions, writeSettlements } from './settlements-sql.ts';
import type { BalanceStore, Hold, HoldRefusal, Settlement } from './types.ts';

export const FLUSH_GROUP = 'flushers';

/** `list` in slices of at most 1,000 (script arguments) */
function* slices<T>(list: T[], size = 1000): Generator<T[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}
/** a relay silent this long is presumed dead and its open holds are released */
export const HEARTBEAT_TTL_MS = 15_000;

const HOLD = `
local h = tonumber(ARGV[1])
local limited = ARGV[2] == '1'
if redis.call('exists', KEYS[1]) == 0 then return 'missing_user' end
if limited and redis.call('exists', KEYS[2]) == 0 then return 'missing_token' end
local function avail(k)
  local v = redis.call('hmget', k, 'base', 'held', 'pending')
  return tonumber(v[1]) - tonumber(v[2]) - tonumber(v[3])
end
if limited and avail(KEYS[2]) < h then return 'insufficient_quota' end
if avail(KEYS[1]) < h then return 'insufficient_balance' end
redis.call('hincrby', KEYS[1], 'held', h)
if limited then redis.call('hincrby', KEYS[2], 'held', h) end
-- remembered per relay, so the holds of a relay that dies are released (reconciler); a second hold
-- for the same request (a long stream extending its hold) adds to the first
local total = h
local prev = redis.call('hget', KEYS[3], ARGV[3])
if prev then total = total + tonumber(string.match(prev, '(%d+)$')) end
redis.call('hset', KEYS[3], ARGV[3], (limited and (KEYS[1] .. '|' .. KEYS[2]) or (KEYS[1] .. '|')) .. '|' .. total)
return 'ok'`;

// `0 - x`, not `-x`: Lua turns -0 into "-0", which HINCRBY refuses as not an integer.
// What is given back is what the hold record says was held (a stream's extensions included), not what
// the caller believes: a hold released already (its relay was presumed dead, or it was orphaned by a
// Redis outage and released on reconnect) is not given back twice.
const SETTLE = `
local cost = tonumber(ARGV[2])
local rec = redis.call('hget', KEYS[4], ARGV[5])
local release = 0
if rec then
  release = tonumber(string.match(rec, '(%d+)$'))
  redis.call('hdel', KEYS[4], ARGV[5])
end
local ue = redis.call('exists', KEYS[1])
local te = 0
if ARGV[3] == '1' then te = redis.call('exists', KEYS[2]) end
if ue == 1 then
  redis.call('hincrby', KEYS[1], 'held', 0 - release)
  redis.call('hincrby', KEYS[1], 'pending', cost)
end
if te == 1 then
  redis.call('hincrby', KEYS[2], 'held', 0 - release)
  redis.call('hincrby', KEYS[2], 'pending', cost)
end
-- f: whether the user / key counter took the cost into 'pending' (a counter Redis lost did not)
redis.call('xadd', KEYS[3], '*', 's', ARGV[4], 'f', ue .. te)
return 1`;

/** Gives back the named holds of this relay (orphaned by a Redis outage: their settlement went elsewhere). */
const RELEASE_SOME = `
local n = 0
for i = 1, #ARGV do
  local rec = redis.call('hget', KEYS[1], ARGV[i])
  if rec then
    local user, token, amount = string.match(rec, '^([^|]*)|([^|]*)|(%d+)$')
    for _, k in ipairs({user, token}) do
      if k ~= '' and redis.call('exists', k) == 1 then redis.call('hincrby', k, 'held', 0 - tonumber(amount)) end
    end
    redis.call('hdel', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n`;

/**
 * Costs the in-process fallback wrote to SQL while Redis was away: `base` mirrors SQL, so it drops by
 * them (counters that do not exist are seeded from SQL later, which has the costs already), and the
 * request ids are remembered for a day so the stream flusher does not take the same cost out again.
 * ARGV: n, key, amount (n pairs), then request ids.
 */
const APPLY_DEBT = `
local n = tonumber(ARGV[1])
for i = 2, 1 + 2 * n, 2 do
  if redis.call('exists', ARGV[i]) == 1 then redis.call('hincrby', ARGV[i], 'base', 0 - tonumber(ARGV[i + 1])) end
end
for i = 2 + 2 * n, #ARGV do redis.call('sadd', KEYS[1], ARGV[i]) end
if #ARGV > 1 + 2 * n then redis.call('expire', KEYS[1], 86400) end
return 1`;

const SEED = `if redis.call('exists', KEYS[1]) == 1 then return 0 end
redis.call('hset', KEYS[1], 'base', ARGV[1], 'held', 0, 'pending', 0)
return 1`;

/**
 * After the batch is in SQL: for each entry this consumer still has pending, XACK it and move its
 * cost from `pending` to `base` — in one script, so a replay after a crash never applies it twice.
 * A settlement that the outage fallback wrote and took out of `base` already (KEYS[2]) leaves `base`.
 * A counter that did not take the cost into `pending` at settlement (flag 0: Redis had lost it, and it
 * was seeded from SQL since) only has `base` moved.
 * ARGV: group, then per entry: id, user key, token key ('' when unlimited), cost, request id, flags.
 */
const ACK_APPLY = `
local n = 0
for i = 2, #ARGV, 6 do
  if redis.call('xack', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    local cost = tonumber(ARGV[i + 3])
    local fromBase = cost
    if redis.call('sismember', KEYS[2], ARGV[i + 4]) == 1 then fromBase = 0 end
    for j, k in ipairs({ARGV[i + 1], ARGV[i + 2]}) do
      if k ~= '' and redis.call('exists', k) == 1 then
        if string.sub(ARGV[i + 5], j, j) == '1' then redis.call('hincrby', k, 'pending', 0 - cost) end
        redis.call('hincrby', k, 'base', 0 - fromBase)
      end
    end
    redis.call('xdel', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n`;

export interface RedisBalancesOptions extends WriteOptions {
  db: Db;
  /** commands (holds, settles, flush) */
  redis: Redis;
  /** a dedicated connection for the blocking stream reads */
  reader: Redis;
  names: RedisNames;
  logger: Logger;
  flushIntervalMs: number;
  batchSize?: number;
  /** entries of a dead relay's flusher are taken over after this idle time */
  claimIdleMs?: number;
}

/**
 * Balances shared by every relay (DESIGN §2): holds and settlements are single Lua scripts on Redis;
 * settlements go to a Redis stream that each relay's flusher drains into SQL in batches (consumer
 * group: any relay may write any entry; a crashed relay's entries are claimed by another).
 */
/** The Redis store, with what the outage fallback (resilient-balances.ts) needs of it. */
export interface RedisBalanceStore extends BalanceStore {
  /** whether commands can be sent now (the client fails fast while disconnected) */
  ready(): boolean;
  /** settlements in the shared stream not yet written to SQL (sampled every second) */
  backlog(): number;
  /** gives back holds of this relay whose settlement went to the fallback; returns how many were open */
  releaseHolds(requestIds: string[]): Promise<number>;
  /** lowers `base` of existing counters by costs the fallback wrote to SQL, for these request ids */
  applyDebt(debts: Map<string, number>, requestIds: string[]): Promise<void>;
  /**
   * Makes a counter's `base` equal SQL again, when it is quiet (nothing pending); false when it was
   * not quiet and should be tried again. A counter not in Redis needs nothing (seeded on first use).
   */
  reconcile(kind: 'user' | 'token', id: number): Promise<boolean>;
  userKey(userId: number): string;
  tokenKey(tokenId: number): string;
}

export function createRedisBalances(o: RedisBalancesOptions): RedisBalanceStore {
  const SETTLEMENT_STREAM = o.names.settlementsStream;
  const userBalanceKey = o.names.userBalance;
  const tokenQuotaKey = o.names.tokenQuota;
  const consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const batchSize = o.batchSize ?? 500;
  const holdsKey = o.names.holds(consumer);
  const aliveKey = o.names.relayAlive(consumer);
  const beat = () => o.redis.set(aliveKey, '1', 'PX', HEARTBEAT_TTL_MS).catch(() => undefined);
  void beat();
  const heartbeat = setInterval(beat, HEARTBEAT_TTL_MS / 3);
  heartbeat.unref();
  // after an outage longer than the heartbeat's TTL: alive again at once, before the control plane
  // takes this relay for dead and gives its open holds back
  o.redis.on('ready', () => void beat());
  let stopped = false;
  /**
   * A command that timed out means Redis went silent with the connection open: the connection is
   * dropped and re-made, so it is not `ready` until Redis answers again — every caller of this client
   * (holds, settlements, the rate limiter's `rejectIfRedisNotReady`) falls back at once meanwhile.
   */
  let reconnecting = false;
  o.redis.on('ready', () => {
    reconnecting = false;
  });
  const silent = (err: unknown): never => {
    if (isRedisTimeout(err) && o.redis.status === 'ready' && !reconnecting) {
      o.logger.warn('Redis does not answer in time: reconnecting; balances and limits fall back meanwhile');
      // the old connection takes a while to close (the peer does not answer): not ready from now
      reconnecting = true;
      o.redis.disconnect(true);
    }
    throw err;
  };
  let backlog = 0;
  const sampleBacklog = setInterval(() => {
    if (o.redis.status !== 'ready') return;
    o.redis.xlen(SETTLEMENT_STREAM).then(
      (n) => {
        backlog = n;
      },
      () => undefined,
    );
  }, 1000);
  sampleBacklog.unref();
  let groupReady: Promise<void> | undefined;

  const ensureGroup = () =>
    (groupReady ??= o.redis
      .xgroup('CREATE', SETTLEMENT_STREAM, FLUSH_GROUP, '0', 'MKSTREAM')
      .then(() => undefined)
      .catch((err: Error) => {
        if (!err.message.includes('BUSYGROUP')) {
          groupReady = undefined;
          throw err;
        }
      }));

  async function seed(kind: 'user' | 'token', id: number): Promise<void> {
    await o.redis.eval(
      SEED,
      1,
      kind === 'user' ? userBalanceKey(id) : tokenQuotaKey(id),
      String(await counterBaseInSql(o.db, kind, id)),
    );
  }

  async function writeAndAck(entries: [string, string[]][]): Promise<number> {
    const parsed: { id: string; s: Settlement; flags: string }[] = [];
    for (const [id, fields] of entries) {
      try {
        // entries written before the flags existed: both counters took the cost
        const flags = fields[2] === 'f' ? (fields[3] ?? '11') : '11';
        parsed.push({ id, s: JSON.parse(fields[1] ?? '') as Settlement, flags });
      } catch {
        await o.redis.xack(SETTLEMENT_STREAM, FLUSH_GROUP, id);
      }
    }
    if (parsed.length === 0) return 0;
    await writeSettlements(
      o.db,
      parsed.map((p) => p.s),
      o,
    );
    const args: string[] = [FLUSH_GROUP];
    for (const { id, s, flags } of parsed) {
      args.push(
        id,
        userBalanceKey(s.userId),
        s.limitedKey ? tokenQuotaKey(s.tokenId) : '',
        String(s.cost),
        s.requestId,
        flags,
      );
    }
    await o.redis.eval(ACK_APPLY, 2, SETTLEMENT_STREAM, o.names.fallbackWritten, ...args);
    return parsed.length;
  }

  /** One drain at a time: the background loop and an explicit flush never write the same entries at once. */
  let chain: Promise<unknown> = Promise.resolve();
  function drainOnce(block: boolean): Promise<number> {
    const p = chain.then(() => drainNow(block));
    chain = p.catch(() => undefined);
    return p;
  }

  async function drainNow(block: boolean): Promise<number> {
    await ensureGroup();
    // our own un-acked entries first (a failed write), then new ones
    for (const from of ['0', '>']) {
      const args: (string | number)[] = ['GROUP', FLUSH_GROUP, consumer, 'COUNT', batchSize];
      if (block && from === '>') args.push('BLOCK', o.flushIntervalMs);
      const client = block ? o.reader : o.redis;
      const entries = streamEntries(
        await client.call('XREADGROUP', ...args, 'STREAMS', SETTLEMENT_STREAM, from),
      );
      if (entries.length > 0) return writeAndAck(entries);
    }
    return 0;
  }

  async function claimAbandoned(): Promise<void> {
    await ensureGroup();
    const res = (await o.redis.call(
      'XAUTOCLAIM',
      SETTLEMENT_STREAM,
      FLUSH_GROUP,
      consumer,
      o.claimIdleMs ?? 30_000,
      '0',
      'COUNT',
      batchSize,
    )) as [string, [string, string[]][]];
    if (res?.[1]?.length) {
      o.logger.warn({ entries: res[1].length }, 'took over settlements of a stopped relay');
      await writeAndAck(res[1]);
    }
  }

  let loop: Promise<void> | undefined;
  const run = async () => {
    let lastClaim = 0;
    while (!stopped) {
      try {
        await drainOnce(true);
        if (Date.now() - lastClaim > Math.min(10_000, o.claimIdleMs ?? 30_000)) {
          lastClaim = Date.now();
          await claimAbandoned();
        }
      } catch (err) {
        // Redis lost the stream (a restart without persistence; the next XADD made a new one, without
        // the group): create the group again, from the start of the new stream
        if ((err as Error).message?.includes('NOGROUP')) groupReady = undefined;
        o.logger.warn({ err: (err as Error).message }, 'settlement flush failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, o.flushIntervalMs)));
      }
    }
  };
  loop = run();

  return {
    ready: () => o.redis.status === 'ready' && !reconnecting,
    reconcile: (kind, id) =>
      reconcileCounter(o.redis, o.db, kind === 'user' ? userBalanceKey(id) : tokenQuotaKey(id), kind, id),
    backlog: () => backlog,
    userKey: userBalanceKey,
    tokenKey: tokenQuotaKey,
    async releaseHolds(requestIds) {
      let n = 0;
      // in slices: one script over an hour of outage would block Redis
      for (const ids of slices(requestIds))
        n += Number(await o.redis.eval(RELEASE_SOME, 1, holdsKey, ...ids));
      return n;
    },
    async applyDebt(debts, requestIds) {
      // the ids first (in slices): from then on the stream flusher leaves their cost in `base` to us
      for (const ids of slices(requestIds))
        await o.redis.eval(APPLY_DEBT, 1, o.names.fallbackWritten, '0', ...ids);
      const pairs: string[] = [];
      for (const [k, v] of debts) if (v !== 0) pairs.push(k, String(v));
      if (pairs.length)
        await o.redis.eval(APPLY_DEBT, 1, o.names.fallbackWritten, String(pairs.length / 2), ...pairs);
    },
    async hold(h: Hold): Promise<HoldRefusal | undefined> {
      const keys = [userBalanceKey(h.userId), tokenQuotaKey(h.tokenId), holdsKey];
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = (await o.redis
          .eval(HOLD, 3, ...keys, String(h.amount), h.limitedKey ? '1' : '0', h.requestId)
          .catch(silent)) as string;
        if (r === 'ok') return undefined;
        if (r === 'insufficient_balance' || r === 'insufficient_quota') return r;
        await seed(r === 'missing_user' ? 'user' : 'token', r === 'missing_user' ? h.userId : h.tokenId);
      }
      throw new Error('balance counters could not be seeded');
    },
    async settle(h: Hold, s: Settlement) {
      await o.redis
        .eval(
          SETTLE,
          4,
          userBalanceKey(h.userId),
          tokenQuotaKey(h.tokenId),
          SETTLEMENT_STREAM,
          holdsKey,
          String(h.amount),
          String(s.cost),
          h.limitedKey ? '1' : '0',
          JSON.stringify(s),
          h.requestId,
        )
        .catch(silent);
    },
    // the control plane applies SQL deltas to `base` directly (addToBase): nothing to re-read here
    refreshUser: async () => undefined,
    refreshToken: async () => undefined,
    async flush() {
      while ((await drainOnce(false)) > 0) {
        // until this consumer has nothing new
      }
    },
    async close() {
      stopped = true;
      clearInterval(heartbeat);
      clearInterval(sampleBacklog);
      o.reader.disconnect();
      await loop?.catch(() => undefined);
      await this.flush().catch((err: unknown) => o.logger.warn({ err }, 'final settlement flush failed'));
      await o.redis.del(aliveKey).catch(() => undefined);
    },
  };
}
