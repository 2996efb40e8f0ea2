import type { Db } from '@tollgate/shared/db/index.ts';
import { sql } from 'kysely';
import type { Settlement } from './types.ts';

export interface WriteOptions {
  /** one ledger row per user per batch (batch_update_enabled) instead of one per request */
  aggregateLedger: boolean;
}

/** Per-user / per-key sums of what a batch actually applied. */
export interface AppliedSums {
  users: Map<number, { cost: number; requests: number }>;
  tokens: Map<number, { cost: number; limited: boolean; lastUsedAt: number }>;
  applied: Settlement[];
}

const CHUNK = 200;

/**
 * Writes settlements in one transaction (DESIGN §2): a log row per request, ledger rows, and the
 * materialised balances, used quota and key quota. Idempotent by request id: settlements already
 * written (a replay after a crash) are skipped and their sums are not applied again.
 */
export async function writeSettlements(
  handle: Db,
  batch: Settlement[],
  o: WriteOptions,
): Promise<AppliedSums> {
  const sums: AppliedSums = { users: new Map(), tokens: new Map(), applied: [] };
  if (batch.length === 0) return sums;
  const unique = [...new Map(batch.map((s) => [s.requestId, s])).values()];
  await handle.db.transaction().execute(async (trx) => {
    const fresh: Settlement[] = [];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const part = unique.slice(i, i + CHUNK);
      const seen = new Set(
        (
          await trx
            .selectFrom('logs')
            .select('requestId')
            .where(
              'requestId',
              'in',
              part.map((s) => s.requestId),
            )
            .execute()
        ).map((r) => r.requestId),
      );
      for (const s of part) if (!seen.has(s.requestId)) fresh.push(s);
    }
    if (fresh.length === 0) return;
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const part = fresh.slice(i, i + CHUNK);
      await trx
        .insertInto('logs')
        .values(
          part.map((s) => ({
            requestId: s.requestId,
            createdAt: s.at,
            kind: 'usage',
            userId: s.userId,
            tokenId: s.tokenId,
            model: s.model.slice(0, 128),
            upstreamModel: s.upstreamModel?.slice(0, 128) ?? null,
            channelId: s.channelId,
            triedChannels: s.triedChannels.length ? s.triedChannels.join(',').slice(0, 255) : null,
            promptTokens: s.promptTokens,
            cachedTokens: s.cachedTokens,
            completionTokens: s.completionTokens,
            cost: s.cost,
            channelCost: s.channelCost,
            latencyMs: Math.round(s.latencyMs),
            ttftMs: s.ttftMs === null ? null : Math.round(s.ttftMs),
            isStream: s.stream ? 1 : 0,
            statusCode: s.status,
            errorCode: s.errorCode,
            ip: s.ip?.slice(0, 64) ?? null,
            note: s.note?.slice(0, 500) ?? null,
          })),
        )
        .execute();
    }
    for (const s of fresh) {
      const u = sums.users.get(s.userId) ?? { cost: 0, requests: 0 };
      u.cost += s.cost;
      u.requests += 1;
      sums.users.set(s.userId, u);
      const t = sums.tokens.get(s.tokenId) ?? { cost: 0, limited: s.limitedKey, lastUsedAt: 0 };
      t.cost += s.cost;
      t.lastUsedAt = Math.max(t.lastUsedAt, s.at);
      sums.tokens.set(s.tokenId, t);
    }
    const charged = fresh.filter((s) => s.cost > 0);
    const ledgerRows = o.aggregateLedger
      ? [...sums.users]
          .filter(([, u]) => u.cost > 0)
          .map(([userId, u]) => ({
            userId,
            tokenId: null,
            kind: 'usage',
            amount: -u.cost,
            // the batch's first request id makes the aggregate row unique and replay-safe
            idempotencyKey:
              `usage-batch:${userId}:${charged.find((s) => s.userId === userId)!.requestId}`.slice(0, 128),
            note: `${u.requests} requests`,
            actorId: null,
            createdAt: Date.now(),
          }))
      : charged.map((s) => ({
          userId: s.userId,
          tokenId: s.tokenId,
          kind: 'usage',
          amount: -s.cost,
          idempotencyKey: `req:${s.requestId}`,
          note: null,
          actorId: null,
          createdAt: s.at,
        }));
    for (let i = 0; i < ledgerRows.length; i += CHUNK) {
      // `insert ignore` on MySQL, `insert or ignore` on SQLite
      await trx
        .insertInto('ledger')
        .orIgnore()
        .values(ledgerRows.slice(i, i + CHUNK))
        .execute();
    }
    // deterministic order avoids deadlocks between flushers of several relays
    for (const [userId, u] of [...sums.users].sort((a, b) => a[0] - b[0])) {
      await trx
        .updateTable('users')
        .set({
          balance: sql`balance - ${u.cost}`,
          usedQuota: sql`used_quota + ${u.cost}`,
          requestCount: sql`request_count + ${u.requests}`,
        })
        .where('id', '=', userId)
        .execute();
    }
    for (const [tokenId, t] of [...sums.tokens].sort((a, b) => a[0] - b[0])) {
      await trx
        .updateTable('tokens')
        .set({
          usedQuota: sql`used_quota + ${t.cost}`,
          ...(t.limited ? { remainQuota: sql`remain_quota - ${t.cost}` } : {}),
          lastUsedAt: sql`case when last_used_at is null or last_used_at < ${t.lastUsedAt} then ${t.lastUsedAt} else last_used_at end`,
        })
        .where('id', '=', tokenId)
        .execute();
    }
    sums.applied = fresh;
  });
  return sums;
}
