import { insertedId } from '@tollgate/shared/db/index.ts';
import type { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import {
  type CreateRuleInput,
  createRuleSchema,
  type historySchema,
  type RuleKind,
  ruleParamSchemas,
  type UpdateRuleInput,
  updateRuleSchema,
} from './alerts.schemas.ts';
import type { DeliveryRecord } from './notifications.service.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'now'>;

const ruleColumns = [
  'id',
  'kind',
  'name',
  'enabled',
  'params',
  'cooldownSeconds',
  'notificationChannelIds',
  'createdAt',
  'updatedAt',
] as const;

function checkParams(kind: RuleKind, params: Record<string, number>) {
  const parsed = ruleParamSchemas[kind].safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServiceError(
      'BAD_REQUEST',
      `invalid ${kind} parameters: ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

async function checkChannels(deps: Deps, ids: number[]) {
  if (ids.length === 0) return;
  const rows = await deps.db.db
    .selectFrom('notificationChannels')
    .select('id')
    .where('id', 'in', ids)
    .execute();
  if (rows.length !== new Set(ids).size)
    throw new ServiceError('BAD_REQUEST', 'unknown notification channel');
}

function presentRule(r: {
  id: number;
  kind: string;
  name: string;
  enabled: number;
  params: string;
  cooldownSeconds: number;
  notificationChannelIds: string;
  createdAt: number;
  updatedAt: number;
}) {
  const kind = r.kind as RuleKind;
  const parsed = ruleParamSchemas[kind]?.safeParse(JSON.parse(r.params));
  return {
    ...r,
    kind,
    enabled: Boolean(r.enabled),
    params: (parsed?.success ? parsed.data : {}) as Record<string, number>,
    notificationChannelIds: JSON.parse(r.notificationChannelIds) as number[],
  };
}

export async function listRules(deps: Deps) {
  const rows = await deps.db.db.selectFrom('alertRules').select(ruleColumns).orderBy('id').execute();
  return rows.map(presentRule);
}

async function getRule(deps: Deps, id: number) {
  const row = await deps.db.db
    .selectFrom('alertRules')
    .select(ruleColumns)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'alert rule not found');
  return presentRule(row);
}

export async function createRule(deps: Deps, input: CreateRuleInput) {
  const v = createRuleSchema.parse(input);
  const params = checkParams(v.kind, v.params);
  await checkChannels(deps, v.notificationChannelIds);
  const now = deps.now();
  const res = await deps.db.db
    .insertInto('alertRules')
    .values({
      kind: v.kind,
      name: v.name,
      enabled: v.enabled ? 1 : 0,
      params: JSON.stringify(params),
      cooldownSeconds: v.cooldownSeconds,
      notificationChannelIds: JSON.stringify(v.notificationChannelIds),
      createdAt: now,
      updatedAt: now,
    })
    .executeTakeFirstOrThrow();
  return getRule(deps, insertedId(res));
}

export async function updateRule(deps: Deps, input: UpdateRuleInput) {
  const v = updateRuleSchema.parse(input);
  const cur = await getRule(deps, v.id);
  const set: Record<string, unknown> = { updatedAt: deps.now() };
  if (v.name !== undefined) set.name = v.name;
  if (v.enabled !== undefined) set.enabled = v.enabled ? 1 : 0;
  if (v.params !== undefined) set.params = JSON.stringify(checkParams(cur.kind, v.params));
  if (v.cooldownSeconds !== undefined) set.cooldownSeconds = v.cooldownSeconds;
  if (v.notificationChannelIds !== undefined) {
    await checkChannels(deps, v.notificationChannelIds);
    set.notificationChannelIds = JSON.stringify(v.notificationChannelIds);
  }
  await deps.db.db.updateTable('alertRules').set(set).where('id', '=', v.id).execute();
  return getRule(deps, v.id);
}

export async function deleteRule(deps: Deps, id: number) {
  const res = await deps.db.db.deleteFrom('alertRules').where('id', '=', id).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new ServiceError('NOT_FOUND', 'alert rule not found');
  return { id };
}

/** Alert history, newest first: fired/resolved times, values and the notifications sent. */
export async function alertHistory(deps: Deps, input: z.output<typeof historySchema>) {
  let q = deps.db.db
    .selectFrom('alertEvents')
    .select([
      'id',
      'ruleId',
      'kind',
      'subject',
      'state',
      'value',
      'message',
      'firedAt',
      'resolvedAt',
      'lastNotifiedAt',
      'deliveries',
    ])
    .orderBy('id', 'desc')
    .limit(input.limit);
  if (input.ruleId !== undefined) q = q.where('ruleId', '=', input.ruleId);
  if (input.state !== undefined) q = q.where('state', '=', input.state);
  if (input.beforeId !== undefined) q = q.where('id', '<', input.beforeId);
  const rows = await q.execute();
  return rows.map((r) => ({
    ...r,
    firedAt: Number(r.firedAt),
    resolvedAt: r.resolvedAt === null ? null : Number(r.resolvedAt),
    lastNotifiedAt: r.lastNotifiedAt === null ? null : Number(r.lastNotifiedAt),
    deliveries: r.deliveries ? (JSON.parse(r.deliveries) as DeliveryRecord[]) : [],
  }));
}
