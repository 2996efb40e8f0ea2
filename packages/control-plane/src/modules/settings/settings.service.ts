import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';
import {
  isSettingKey,
  type SettingKey,
  type Settings,
  type SettingsPatch,
  settingDefaults,
  settingsPatchSchema,
  settingValueSchemas,
} from './settings.schemas.ts';

export { isSettingKey, type SettingKey, type Settings, settingDefaults, settingValueSchemas };

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

/**
 * All settings with defaults filled in. A stored value its schema no longer accepts reads as the
 * default (settings reach the relays through the snapshot like any other config change).
 */
export async function getSettings(deps: Pick<ControlPlaneDeps, 'db'>): Promise<Settings> {
  const rows = await deps.db.db.selectFrom('settings').select(['key', 'value']).execute();
  const stored = new Map(rows.map((r) => [r.key, r.value]));
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(settingValueSchemas)) {
    const text = stored.get(key);
    let parsed: { success: boolean; data?: unknown } = { success: false };
    if (text !== undefined) {
      try {
        parsed = schema.safeParse(JSON.parse(text));
      } catch {
        parsed = { success: false };
      }
    }
    out[key] = parsed.success ? parsed.data : settingDefaults[key as SettingKey];
  }
  return out as Settings;
}

/**
 * Validates and stores several settings in one config transaction (one snapshot version, one
 * `setting` change per key). BAD_REQUEST on an unknown key or a bad value; nothing is written then.
 */
export async function setSettings(deps: Deps, patch: SettingsPatch): Promise<Settings> {
  const parsed = settingsPatchSchema.safeParse(patch);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new ServiceError('BAD_REQUEST', `invalid settings: ${where}${issue?.message ?? 'bad value'}`);
  }
  const entries = Object.entries(parsed.data).filter(([, v]) => v !== undefined);
  await configTx(deps, async (trx, changed) => {
    const now = deps.now();
    for (const [key, value] of entries) {
      const text = JSON.stringify(value);
      const res = await trx
        .updateTable('settings')
        .set({ value: text, updatedAt: now })
        .where('key', '=', key)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0)
        await trx.insertInto('settings').values({ key, value: text, updatedAt: now }).execute();
      changed('setting', key);
    }
  });
  return getSettings(deps);
}

/** Validates and stores one setting (BAD_REQUEST on an unknown key or a bad value). */
export async function setSetting(deps: Deps, key: string, value: unknown) {
  if (!isSettingKey(key)) throw new ServiceError('BAD_REQUEST', `unknown setting ${key}`);
  const settings = await setSettings(deps, { [key]: value } as SettingsPatch);
  return { key, value: settings[key] };
}
