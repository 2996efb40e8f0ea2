import { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

/**
 * Every setting an operator can change live, with its schema and default. Settings reach the relays
 * through the snapshot like any other config change.
 */
export const settingSchemas = {
  /** let models without a price through, free of charge */
  allow_free_models: z.boolean().default(false),
  /** quota units credited to every new account */
  new_user_quota: z.number().int().min(0).default(0),
  /** quota units per display currency unit (one-api convention: 500000 = $1) */
  quota_per_unit: z.number().int().min(1).default(500_000),
  display_currency: z.enum(['USD', 'CNY']).default('USD'),
  /** groups any user may choose for a key, besides their own */
  user_selectable_groups: z.array(z.string().min(1).max(64)).max(100).default([]),
} as const;

export type SettingKey = keyof typeof settingSchemas;

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(settingSchemas, key);
}

/** All settings with defaults filled in. */
export async function getSettings(
  deps: Deps,
): Promise<{ [K in SettingKey]: z.output<(typeof settingSchemas)[K]> }> {
  const rows = await deps.db.db.selectFrom('settings').select(['key', 'value']).execute();
  const stored = new Map(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(settingSchemas)) {
    const parsed = schema.safeParse(stored.get(key));
    out[key] = parsed.success ? parsed.data : schema.parse(undefined);
  }
  return out as Awaited<ReturnType<typeof getSettings>>;
}

/** Validates and stores one setting (BAD_REQUEST on an unknown key or a bad value). */
export async function setSetting(deps: Deps, key: string, value: unknown) {
  if (!isSettingKey(key)) throw new ServiceError('BAD_REQUEST', `unknown setting ${key}`);
  const parsed = settingSchemas[key].safeParse(value);
  if (!parsed.success)
    throw new ServiceError('BAD_REQUEST', `invalid value for ${key}: ${parsed.error.issues[0]?.message}`);
  const text = JSON.stringify(parsed.data);
  await configTx(deps, async (trx, changed) => {
    const now = deps.now();
    const res = await trx
      .updateTable('settings')
      .set({ value: text, updatedAt: now })
      .where('key', '=', key)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0)
      await trx.insertInto('settings').values({ key, value: text, updatedAt: now }).execute();
    changed('setting', key);
  });
  return { key, value: parsed.data };
}
