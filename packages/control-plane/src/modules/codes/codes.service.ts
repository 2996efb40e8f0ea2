import { createHmac, randomInt } from 'node:crypto';
import { num } from '@tollgate/shared/db/index.ts';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';
import { applyBalanceChange, moveHotBalance } from '../users/users.service.ts';
import type { disableCodesSchema, GenerateCodesInput, listCodesSchema } from './codes.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now' | 'cfg' | 'settingsBox'> &
  Partial<Pick<ControlPlaneDeps, 'redis' | 'redisNames'>>;

/** Crockford base32 without I, L, O, U: nothing to misread when typing a code from paper. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 16 characters × 5 bits = 80 random bits; guessing is also rate-limited. */
const CODE_CHARS = 16;

/** Failed redemptions allowed per user in {@link FAILURE_WINDOW_S}. */
export const MAX_REDEEM_FAILURES = 10;
/** Failed redemptions allowed per IP (several users may share one address) in the same window. */
export const MAX_REDEEM_FAILURES_PER_IP = 50;
const FAILURE_WINDOW_S = 600;

/** A new code: `TG-XXXX-XXXX-XXXX-XXXX`. */
export function generateCode(): string {
  let s = '';
  for (let i = 0; i < CODE_CHARS; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return `TG-${s.match(/.{4}/g)!.join('-')}`;
}

/** Upper case, no spaces or dashes, the `TG` prefix dropped, O→0 and I/L→1 (what people mistype). */
export function normalizeCode(code: string): string {
  let s = code.toUpperCase().replace(/[\s-]/g, '');
  if (s.length === CODE_CHARS + 2 && s.startsWith('TG')) s = s.slice(2);
  return s.replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** Keyed hash of a code: the database alone cannot be used to mint or check codes. */
export function hashCode(secret: string, code: string): string {
  return createHmac('sha256', secret)
    .update(`redemption:${normalizeCode(code)}`)
    .digest('hex');
}

function maskCode(code: string): string {
  return `TG-••••-••••-••••-${code.slice(-4)}`;
}

function defaultBatch(now: number): string {
  const day = new Date(now).toISOString().slice(0, 10).replaceAll('-', '');
  return `b${day}-${generateCode().slice(-4).toLowerCase()}`;
}

/**
 * Generates `count` single-use codes worth `value` quota units each. Only hashes are looked up; the
 * plaintexts are kept sealed so the admin can export the batch again.
 */
export async function generateCodes(deps: Deps, input: GenerateCodesInput & { actorId?: number }) {
  const now = deps.now();
  const batch = input.batch ?? defaultBatch(now);
  const codes = Array.from({ length: input.count }, generateCode);
  const rows = codes.map((code) => ({
    codeHash: hashCode(deps.cfg.user_token_secret, code),
    codeEncrypted: deps.settingsBox.encrypt(code),
    codeMask: maskCode(code),
    batch,
    value: input.value,
    status: 'active',
    expiresAt: input.expiresAt ?? null,
    createdBy: input.actorId ?? null,
    createdAt: now,
  }));
  await deps.db.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 200)
      await trx
        .insertInto('redemptionCodes')
        .values(rows.slice(i, i + 200))
        .execute();
  });
  return { batch, value: input.value, expiresAt: input.expiresAt ?? null, codes };
}

/** A code's status as shown: `active` past its expiry reads as `expired`. */
function shownStatus(status: string, expiresAt: number | null, now: number): string {
  return status === 'active' && expiresAt !== null && expiresAt <= now ? 'expired' : status;
}

/** The batches, newest first, with counts per status. */
export async function listBatches(deps: Deps) {
  const now = deps.now();
  const rows = await deps.db.db
    .selectFrom('redemptionCodes')
    .select((eb) => [
      'batch',
      eb.fn.max('value').as('value'),
      eb.fn.max('createdAt').as('createdAt'),
      eb.fn.max('expiresAt').as('expiresAt'),
      eb.fn.countAll().as('total'),
      eb.fn.sum(eb.case().when('status', '=', 'used').then(1).else(0).end()).as('used'),
      eb.fn.sum(eb.case().when('status', '=', 'disabled').then(1).else(0).end()).as('disabled'),
      eb.fn
        .sum(
          eb
            .case()
            .when(
              eb.and([
                eb('status', '=', 'active'),
                eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)]),
              ]),
            )
            .then(1)
            .else(0)
            .end(),
        )
        .as('active'),
    ])
    .groupBy('batch')
    .orderBy('createdAt', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => ({
    batch: r.batch,
    value: num(r.value),
    createdAt: num(r.createdAt),
    expiresAt: r.expiresAt === null ? null : num(r.expiresAt),
    total: num(r.total),
    used: num(r.used),
    disabled: num(r.disabled),
    active: num(r.active),
  }));
}

/** Codes (masked) with who used them. */
export async function listCodes(deps: Deps, input: z.output<typeof listCodesSchema>) {
  const now = deps.now();
  let q = deps.db.db
    .selectFrom('redemptionCodes as c')
    .leftJoin('users as u', 'u.id', 'c.usedBy')
    .select([
      'c.id',
      'c.batch',
      'c.codeMask',
      'c.value',
      'c.status',
      'c.expiresAt',
      'c.usedBy',
      'c.usedAt',
      'c.createdAt',
      'u.email as usedByEmail',
    ]);
  if (input.batch) q = q.where('c.batch', '=', input.batch);
  if (input.status === 'expired') q = q.where('c.status', '=', 'active').where('c.expiresAt', '<=', now);
  else if (input.status === 'active')
    q = q
      .where('c.status', '=', 'active')
      .where((eb) => eb.or([eb('c.expiresAt', 'is', null), eb('c.expiresAt', '>', now)]));
  else if (input.status) q = q.where('c.status', '=', input.status);
  const rows = await q.orderBy('c.id', 'desc').limit(input.limit).execute();
  return rows.map((r) => ({ ...r, value: Number(r.value), status: shownStatus(r.status, r.expiresAt, now) }));
}

/** Disables active codes (by id or a whole batch); used codes stay used. */
export async function disableCodes(deps: Deps, input: z.output<typeof disableCodesSchema>) {
  let q = deps.db.db
    .updateTable('redemptionCodes')
    .set({ status: 'disabled' })
    .where('status', '=', 'active');
  if (input.ids?.length) q = q.where('id', 'in', input.ids);
  if (input.batch) q = q.where('batch', '=', input.batch);
  const res = await q.executeTakeFirst();
  return { disabled: Number(res.numUpdatedRows) };
}

/** Every code of a batch with its plaintext, for the admin's CSV export. */
export async function exportBatch(deps: Deps, batch: string) {
  const now = deps.now();
  const rows = await deps.db.db
    .selectFrom('redemptionCodes as c')
    .leftJoin('users as u', 'u.id', 'c.usedBy')
    .select([
      'c.id',
      'c.codeEncrypted',
      'c.value',
      'c.status',
      'c.expiresAt',
      'c.usedAt',
      'c.createdAt',
      'u.email as usedByEmail',
    ])
    .where('c.batch', '=', batch)
    .orderBy('c.id')
    .execute();
  return rows.map((r) => {
    let code = '';
    try {
      code = r.codeEncrypted ? deps.settingsBox.decrypt(r.codeEncrypted) : '';
    } catch {
      code = '';
    }
    return { ...r, code, value: Number(r.value), status: shownStatus(r.status, r.expiresAt, now) };
  });
}

const limiters = new WeakMap<object, { user: RateLimiterAbstract; ip: RateLimiterAbstract }>();

function makeLimiter(deps: Deps, name: string, points: number): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration: FAILURE_WINDOW_S, keyPrefix: name });
  if (!deps.redis || !deps.redisNames) return memory;
  return new RateLimiterRedis({
    storeClient: deps.redis,
    points,
    duration: FAILURE_WINDOW_S,
    keyPrefix: `${deps.redisNames.rateLimit}${name}`,
    insuranceLimiter: memory,
  });
}

function failureLimiters(deps: Deps) {
  let l = limiters.get(deps);
  if (!l) {
    l = {
      user: makeLimiter(deps, 'redeem-fail-user', MAX_REDEEM_FAILURES),
      ip: makeLimiter(deps, 'redeem-fail-ip', MAX_REDEEM_FAILURES_PER_IP),
    };
    limiters.set(deps, l);
  }
  return l;
}

const INVALID = 'this code is invalid, already used or expired';

/**
 * Redeems a code for the user: one conditional UPDATE claims it (so of two concurrent redemptions
 * exactly one wins), then the credit is a ledger + log row in the same transaction. Failed attempts
 * count against the user and the IP; past {@link MAX_REDEEM_FAILURES} per user or {@link MAX_REDEEM_FAILURES_PER_IP} per IP in 10 minutes → TOO_MANY_REQUESTS.
 */
export async function redeemCode(deps: Deps, userId: number, ip: string, code: string) {
  const l = failureLimiters(deps);
  const checks: [RateLimiterAbstract, string, number][] = [
    [l.user, String(userId), MAX_REDEEM_FAILURES],
    [l.ip, ip || 'unknown', MAX_REDEEM_FAILURES_PER_IP],
  ];
  for (const [limiter, key, max] of checks) {
    const res = await limiter.get(key);
    if (res && res.consumedPoints >= max)
      throw new ServiceError(
        'TOO_MANY_REQUESTS',
        `too many wrong codes; try again in ${Math.ceil(res.msBeforeNext / 1000)} s`,
      );
  }
  const normalized = normalizeCode(code);
  const now = deps.now();
  let credited: { id: number; value: number } | undefined;
  if (/^[0-9A-Z]{16}$/.test(normalized)) {
    const hash = hashCode(deps.cfg.user_token_secret, code);
    credited = await configTx(deps, async (trx, changed) => {
      const claimed = await trx
        .updateTable('redemptionCodes')
        .set({ status: 'used', usedBy: userId, usedAt: now })
        .where('codeHash', '=', hash)
        .where('status', '=', 'active')
        .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)]))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return undefined;
      const row = await trx
        .selectFrom('redemptionCodes')
        .select(['id', 'value'])
        .where('codeHash', '=', hash)
        .executeTakeFirstOrThrow();
      await applyBalanceChange(
        trx,
        changed,
        {
          userId,
          amount: Number(row.value),
          reason: `redemption code #${row.id}`,
          idempotencyKey: `code:${row.id}`,
          kind: 'code',
        },
        now,
      );
      return { id: row.id, value: Number(row.value) };
    });
  }
  if (!credited) {
    await Promise.all(checks.map(([limiter, key]) => limiter.consume(key).catch(() => undefined)));
    throw new ServiceError('BAD_REQUEST', INVALID);
  }
  await moveHotBalance(deps, userId, credited.value);
  const user = await deps.db.db
    .selectFrom('users')
    .select('balance')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return { credited: credited.value, balance: Number(user.balance) };
}
