import { type Database, isUniqueViolation, num } from '@tollgate/shared/db/index.ts';
import { USER_SELECTABLE_GROUPS } from '@tollgate/shared/groups.ts';
import { formatMultiplier, PPM, parseMultiplier } from '@tollgate/shared/pricing.ts';
import type { Kysely } from 'kysely';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';
import { getSettings } from '../settings/settings.service.ts';
import {
  type CreateGroupInput,
  createGroupSchema,
  type UpdateGroupInput,
  updateGroupSchema,
} from './groups.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

const groupColumns = [
  'id',
  'name',
  'description',
  'multiplierPpm',
  'rpmLimit',
  'tpmLimit',
  'createdAt',
  'updatedAt',
] as const;

/** A group as the admin sees it: its settings, how many users and keys use it, and its flags. */
export interface GroupView {
  name: string;
  /** false: users or keys name it but it has no row (multiplier 1, no limits) */
  defined: boolean;
  description: string;
  multiplierPpm: number;
  /** the multiplier as decimal text (`"1.2"`) */
  multiplier: string;
  rpmLimit: number | null;
  tpmLimit: number | null;
  users: number;
  keys: number;
  /** listed in the `user_selectable_groups` setting */
  userSelectable: boolean;
  /** the `default_group` setting: new accounts join it */
  isDefault: boolean;
  updatedAt: number | null;
}

async function usageCounts(db: Kysely<Database>, name?: string) {
  let users = db
    .selectFrom('users')
    .select((eb) => ['groupName as name', eb.fn.countAll().as('n')])
    .groupBy('groupName');
  let keys = db
    .selectFrom('tokens')
    .select((eb) => ['groupName as name', eb.fn.countAll().as('n')])
    .where('groupName', 'is not', null)
    .groupBy('groupName');
  if (name !== undefined) {
    users = users.where('groupName', '=', name);
    keys = keys.where('groupName', '=', name);
  }
  const [u, k] = await Promise.all([users.execute(), keys.execute()]);
  return {
    users: new Map(u.map((r) => [r.name, num(r.n)])),
    keys: new Map(k.map((r) => [String(r.name), num(r.n)])),
  };
}

/**
 * Every group: the defined ones, plus names that users, keys or settings refer to without a row
 * (they price at ×1 with no limits), sorted by name.
 */
export async function listGroups(deps: Pick<ControlPlaneDeps, 'db'>): Promise<GroupView[]> {
  const [rows, usage, settings] = await Promise.all([
    deps.db.db.selectFrom('groups').select(groupColumns).orderBy('name').execute(),
    usageCounts(deps.db.db),
    getSettings(deps),
  ]);
  const selectable = new Set(settings.user_selectable_groups);
  const view = (name: string, row?: (typeof rows)[number]): GroupView => {
    const ppm = row ? Number(row.multiplierPpm) : PPM;
    return {
      name,
      defined: Boolean(row),
      description: row?.description ?? '',
      multiplierPpm: ppm,
      multiplier: formatMultiplier(ppm),
      rpmLimit: row?.rpmLimit ?? null,
      tpmLimit: row?.tpmLimit ?? null,
      users: usage.users.get(name) ?? 0,
      keys: usage.keys.get(name) ?? 0,
      userSelectable: selectable.has(name),
      isDefault: settings.default_group === name,
      updatedAt: row ? Number(row.updatedAt) : null,
    };
  };
  const byName = new Map(rows.map((r) => [r.name, view(r.name, r)]));
  const referenced = [...usage.users.keys(), ...usage.keys.keys(), ...selectable, settings.default_group];
  for (const name of referenced) if (!byName.has(name)) byName.set(name, view(name));
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function getGroup(deps: Pick<ControlPlaneDeps, 'db'>, name: string): Promise<GroupView> {
  const group = (await listGroups(deps)).find((g) => g.name === name && g.defined);
  if (!group) throw new ServiceError('NOT_FOUND', 'group not found');
  return group;
}

/** Defines a group (CONFLICT when the name is taken). */
export async function createGroup(deps: Deps, input: CreateGroupInput): Promise<GroupView> {
  const v = createGroupSchema.parse(input);
  const now = deps.now();
  try {
    await configTx(deps, async (trx, changed) => {
      await trx
        .insertInto('groups')
        .values({
          name: v.name,
          description: v.description,
          multiplierPpm: v.multiplier === undefined ? PPM : parseMultiplier(v.multiplier),
          rpmLimit: v.rpmLimit,
          tpmLimit: v.tpmLimit,
          createdAt: now,
          updatedAt: now,
        })
        .execute();
      changed('group', v.name);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ServiceError('CONFLICT', `a group named ${v.name} already exists`);
    throw err;
  }
  return getGroup(deps, v.name);
}

/** Changes a group's description, multiplier or limits (NOT_FOUND for an undefined group). */
export async function updateGroup(deps: Deps, input: UpdateGroupInput): Promise<GroupView> {
  const { name, multiplier, ...rest } = updateGroupSchema.parse(input);
  await configTx(deps, async (trx, changed) => {
    const row = await trx.selectFrom('groups').select('id').where('name', '=', name).executeTakeFirst();
    if (!row) throw new ServiceError('NOT_FOUND', 'group not found');
    await trx
      .updateTable('groups')
      .set({
        ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
        ...(multiplier !== undefined ? { multiplierPpm: parseMultiplier(multiplier) } : {}),
        updatedAt: deps.now(),
      })
      .where('id', '=', row.id)
      .execute();
    changed('group', name);
  });
  return getGroup(deps, name);
}

/**
 * Deletes a group's row. Refused (CONFLICT) while users or keys use it or while it is the default
 * group of new accounts; a deleted group also leaves the user-selectable list.
 */
export async function deleteGroup(deps: Deps, name: string): Promise<{ name: string }> {
  await configTx(deps, async (trx, changed) => {
    const row = await trx.selectFrom('groups').select('id').where('name', '=', name).executeTakeFirst();
    if (!row) throw new ServiceError('NOT_FOUND', 'group not found');
    const usage = await usageCounts(trx, name);
    const users = usage.users.get(name) ?? 0;
    const keys = usage.keys.get(name) ?? 0;
    if (users > 0 || keys > 0)
      throw new ServiceError(
        'CONFLICT',
        `group ${name} is used by ${users} user(s) and ${keys} key(s); move them to another group first`,
      );
    const settings = await getSettings({ db: { ...deps.db, db: trx } });
    if (settings.default_group === name)
      throw new ServiceError(
        'CONFLICT',
        `group ${name} is the default group of new accounts; choose another default first`,
      );
    await trx.deleteFrom('groups').where('id', '=', row.id).execute();
    changed('group', name, 'delete');
    if (settings.user_selectable_groups.includes(name)) {
      const rest = settings.user_selectable_groups.filter((g) => g !== name);
      await trx
        .updateTable('settings')
        .set({ value: JSON.stringify(rest), updatedAt: deps.now() })
        .where('key', '=', USER_SELECTABLE_GROUPS)
        .execute();
      changed('setting', USER_SELECTABLE_GROUPS);
    }
  });
  return { name };
}
