import { generateApiKey, hashApiKey, maskApiKey } from '@tollgate/shared/api-key.ts';
import { addToBase } from '@tollgate/shared/balance-keys.ts';
import { insertedId, isUniqueViolation } from '@tollgate/shared/db/index.ts';
import { mayUseGroup, USER_SELECTABLE_GROUPS } from '@tollgate/shared/groups.ts';
import { redisNames } from '@tollgate/shared/redis-names.ts';
import type { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';
import { getSettings } from '../settings/settings.service.ts';
import { type CreateTokenInput, createTokenSchema, type updateTokenSchema } from './tokens.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now' | 'tokenBox' | 'cfg'> &
  Partial<Pick<ControlPlaneDeps, 'redis' | 'redisNames'>>;

/** Columns of a key that its owner may see (never the hash or the encrypted plaintext). */
const tokenColumns = [
  'id',
  'userId',
  'name',
  'keyMask',
  'status',
  'groupName',
  'expiresAt',
  'remainQuota',
  'unlimitedQuota',
  'usedQuota',
  'models',
  'allowedIps',
  'rpmLimit',
  'lastUsedAt',
  'createdAt',
  'updatedAt',
] as const;

type Row = { models: string | null; allowedIps: string | null; unlimitedQuota: number };

function present<T extends Row>(
  r: T,
): Omit<T, keyof Row> & { unlimitedQuota: boolean; models: string[] | null; allowedIps: string[] | null } {
  return {
    ...r,
    unlimitedQuota: Boolean(r.unlimitedQuota),
    models: r.models ? (JSON.parse(r.models) as string[]) : null,
    allowedIps: r.allowedIps ? (JSON.parse(r.allowedIps) as string[]) : null,
  };
}

const json = (v: string[] | null | undefined) =>
  v === undefined ? undefined : v === null || v.length === 0 ? null : JSON.stringify(v);

/** A user's own keys, newest first. */
export async function listTokens(deps: Deps, userId: number) {
  const rows = await deps.db.db
    .selectFrom('tokens')
    .select(tokenColumns)
    .where('userId', '=', userId)
    .orderBy('id', 'desc')
    .execute();
  return rows.map(present);
}

async function ownedToken(deps: Deps, userId: number, id: number) {
  const row = await deps.db.db
    .selectFrom('tokens')
    .select(tokenColumns)
    .where('id', '=', id)
    .where('userId', '=', userId)
    .executeTakeFirst();
  // another user's key is indistinguishable from a missing one
  if (!row) throw new ServiceError('NOT_FOUND', 'key not found');
  return present(row);
}

export const getToken = ownedToken;

/** A key's group must be its owner's or one the operator made selectable (BAD_REQUEST otherwise). */
async function checkGroup(deps: Deps, userId: number, group: string | null): Promise<void> {
  if (group === null) return;
  const [user, setting] = await Promise.all([
    deps.db.db.selectFrom('users').select('groupName').where('id', '=', userId).executeTakeFirst(),
    deps.db.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', USER_SELECTABLE_GROUPS)
      .executeTakeFirst(),
  ]);
  const settings = setting ? { [USER_SELECTABLE_GROUPS]: JSON.parse(setting.value) as unknown } : {};
  if (!user || !mayUseGroup(group, user.groupName, settings)) {
    throw new ServiceError('BAD_REQUEST', `you may not use the group "${group}"`);
  }
}

/**
 * What the key form offers this user: the groups a key may use (their own first, then the ones the
 * operator made selectable for everyone), the new-key defaults and how quota units read as money.
 */
export async function tokenOptions(deps: Pick<ControlPlaneDeps, 'db'>, userId: number) {
  const [user, settings] = await Promise.all([
    deps.db.db.selectFrom('users').select('groupName').where('id', '=', userId).executeTakeFirstOrThrow(),
    getSettings(deps),
  ]);
  const selectable = settings.user_selectable_groups.filter((g) => g !== user.groupName);
  return {
    ownGroup: user.groupName,
    groups: [user.groupName, ...[...new Set(selectable)].sort()],
    defaultUnlimited: settings.default_key_unlimited,
    quotaPerUnit: settings.quota_per_unit,
    currency: settings.display_currency,
  };
}

/** Creates a key for `userId`; the plaintext is returned once here and can be revealed later. */
export async function createToken(deps: Deps, userId: number, input: CreateTokenInput) {
  const v = createTokenSchema.parse(input);
  await checkGroup(deps, userId, v.group);
  const key = generateApiKey(deps.cfg.user_token_secret);
  const now = deps.now();
  try {
    const id = await configTx(deps, async (trx, changed) => {
      const res = await trx
        .insertInto('tokens')
        .values({
          userId,
          name: v.name,
          keyHash: hashApiKey(key),
          keyEncrypted: deps.tokenBox.encrypt(key),
          keyMask: maskApiKey(key),
          groupName: v.group,
          expiresAt: v.expiresAt,
          remainQuota: v.remainQuota,
          unlimitedQuota: v.unlimitedQuota ? 1 : 0,
          models: json(v.models) ?? null,
          allowedIps: json(v.allowedIps) ?? null,
          rpmLimit: v.rpmLimit,
          createdAt: now,
          updatedAt: now,
        })
        .executeTakeFirstOrThrow();
      const id = insertedId(res);
      changed('token', id);
      return id;
    });
    return { token: await ownedToken(deps, userId, id), key };
  } catch (err) {
    if (isUniqueViolation(err)) throw new ServiceError('CONFLICT', 'you already have a key with this name');
    throw err;
  }
}

async function updateOwned(deps: Deps, userId: number, id: number, set: Record<string, unknown>) {
  try {
    await configTx(deps, async (trx, changed) => {
      const res = await trx
        .updateTable('tokens')
        .set({ ...set, updatedAt: deps.now() })
        .where('id', '=', id)
        .where('userId', '=', userId)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new ServiceError('NOT_FOUND', 'key not found');
      changed('token', id);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ServiceError('CONFLICT', 'you already have a key with this name');
    throw err;
  }
  return ownedToken(deps, userId, id);
}

export async function updateToken(deps: Deps, userId: number, input: z.output<typeof updateTokenSchema>) {
  const { id, unlimitedQuota, models, allowedIps, group, ...rest } = input;
  if (group !== undefined) await checkGroup(deps, userId, group);
  const set: Record<string, unknown> = { ...rest };
  if (unlimitedQuota !== undefined) set.unlimitedQuota = unlimitedQuota ? 1 : 0;
  if (models !== undefined) set.models = json(models);
  if (allowedIps !== undefined) set.allowedIps = json(allowedIps);
  if (group !== undefined) set.groupName = group;
  for (const k of Object.keys(set)) if (set[k] === undefined) delete set[k];
  const before =
    rest.remainQuota === undefined
      ? undefined
      : await deps.db.db
          .selectFrom('tokens')
          .select('remainQuota')
          .where('id', '=', id)
          .where('userId', '=', userId)
          .executeTakeFirst();
  const token = await updateOwned(deps, userId, id, set);
  // the relays' hot quota counter moves by the same delta (Redis); embedded relays re-read on the change
  if (before && rest.remainQuota !== undefined) {
    await addToBase(
      deps.redis,
      (deps.redisNames ?? redisNames()).tokenQuota(id),
      rest.remainQuota - Number(before.remainQuota),
    );
  }
  return token;
}

export function setTokenStatus(deps: Deps, userId: number, id: number, status: 'enabled' | 'disabled') {
  return updateOwned(deps, userId, id, { status });
}

/** Rotates the key: the old one stops working on every relay with the next snapshot update. */
export async function resetToken(deps: Deps, userId: number, id: number) {
  const key = generateApiKey(deps.cfg.user_token_secret);
  const token = await updateOwned(deps, userId, id, {
    keyHash: hashApiKey(key),
    keyEncrypted: deps.tokenBox.encrypt(key),
    keyMask: maskApiKey(key),
  });
  return { token, key };
}

export async function deleteToken(deps: Deps, userId: number, id: number) {
  await configTx(deps, async (trx, changed) => {
    const res = await trx
      .deleteFrom('tokens')
      .where('id', '=', id)
      .where('userId', '=', userId)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new ServiceError('NOT_FOUND', 'key not found');
    changed('token', id, 'delete');
  });
  return { id };
}

/** The plaintext of the caller's own key, decrypted on demand. */
export async function revealToken(deps: Deps, userId: number, id: number) {
  const row = await deps.db.db
    .selectFrom('tokens')
    .select('keyEncrypted')
    .where('id', '=', id)
    .where('userId', '=', userId)
    .executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'key not found');
  return { key: deps.tokenBox.decrypt(row.keyEncrypted) };
}
