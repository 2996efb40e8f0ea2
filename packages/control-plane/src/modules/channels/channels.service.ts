import { insertedId } from '@tollgate/shared/db/index.ts';
import type { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';
import {
  type CreateChannelInput,
  createChannelSchema,
  type updateChannelSchema,
} from './channels.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now' | 'channelBox'>;

/** Channel columns that may reach the admin's browser: masks of the keys, never the keys. */
const columns = [
  'id',
  'name',
  'type',
  'baseUrl',
  'keyMasks',
  'models',
  'modelMapping',
  'groups',
  'priority',
  'weight',
  'testModel',
  'status',
  'statusReason',
  'testTime',
  'responseTimeMs',
  'balance',
  'balanceThreshold',
  'createdAt',
  'updatedAt',
] as const;

type Row = { keyMasks: string; models: string; modelMapping: string; groups: string };

function present<T extends Row>(r: T) {
  const { keyMasks, ...rest } = r;
  return {
    ...rest,
    keyMasks: JSON.parse(keyMasks) as string[],
    models: JSON.parse(r.models) as string[],
    modelMapping: JSON.parse(r.modelMapping) as Record<string, string>,
    groups: JSON.parse(r.groups) as string[],
  };
}

/** `sk-abcd…wxyz` style mask for an upstream key of any format. */
export function maskSecret(key: string): string {
  return key.length <= 12 ? `${key.slice(0, 2)}…` : `${key.slice(0, 6)}…${key.slice(-4)}`;
}

export async function listChannels(deps: Deps) {
  const rows = await deps.db.db
    .selectFrom('channels')
    .select(columns)
    .orderBy('priority', 'desc')
    .orderBy('id')
    .execute();
  return rows.map(present);
}

export async function getChannel(deps: Deps, id: number) {
  const row = await deps.db.db.selectFrom('channels').select(columns).where('id', '=', id).executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'channel not found');
  return present(row);
}

function keyColumns(deps: Deps, keys: string[]) {
  return {
    keysEncrypted: JSON.stringify(keys.map((k) => deps.channelBox.encrypt(k))),
    keyMasks: JSON.stringify(keys.map(maskSecret)),
  };
}

export async function createChannel(deps: Deps, input: CreateChannelInput) {
  const v = createChannelSchema.parse(input);
  const now = deps.now();
  const id = await configTx(deps, async (trx, changed) => {
    const res = await trx
      .insertInto('channels')
      .values({
        name: v.name,
        type: v.type,
        baseUrl: v.baseUrl,
        ...keyColumns(deps, v.keys),
        models: JSON.stringify(v.models),
        modelMapping: JSON.stringify(v.modelMapping),
        groups: JSON.stringify(v.groups),
        priority: v.priority,
        weight: v.weight,
        testModel: v.testModel,
        balanceThreshold: v.balanceThreshold,
        createdAt: now,
        updatedAt: now,
      })
      .executeTakeFirstOrThrow();
    const id = insertedId(res);
    changed('channel', id);
    return id;
  });
  return getChannel(deps, id);
}

export async function updateChannel(deps: Deps, input: z.output<typeof updateChannelSchema>) {
  const { id, keys, models, modelMapping, groups, ...rest } = input;
  const set: Record<string, unknown> = { ...rest, updatedAt: deps.now() };
  if (keys) Object.assign(set, keyColumns(deps, keys));
  if (models) set.models = JSON.stringify(models);
  if (modelMapping) set.modelMapping = JSON.stringify(modelMapping);
  if (groups) set.groups = JSON.stringify(groups);
  for (const k of Object.keys(set)) if (set[k] === undefined) delete set[k];
  await configTx(deps, async (trx, changed) => {
    const res = await trx.updateTable('channels').set(set).where('id', '=', id).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new ServiceError('NOT_FOUND', 'channel not found');
    changed('channel', id);
  });
  return getChannel(deps, id);
}

/** Enables or manually disables a channel (auto-disable is the health rules' business). */
export async function setChannelStatus(
  deps: Deps,
  id: number,
  status: 'enabled' | 'manual_disabled' | 'auto_disabled',
  reason?: string,
) {
  await configTx(deps, async (trx, changed) => {
    const res = await trx
      .updateTable('channels')
      .set({ status, statusReason: reason ?? null, updatedAt: deps.now() })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new ServiceError('NOT_FOUND', 'channel not found');
    changed('channel', id);
  });
  return getChannel(deps, id);
}

export async function deleteChannel(deps: Deps, id: number) {
  await configTx(deps, async (trx, changed) => {
    const res = await trx.deleteFrom('channels').where('id', '=', id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new ServiceError('NOT_FOUND', 'channel not found');
    changed('channel', id, 'delete');
  });
  return { id };
}
