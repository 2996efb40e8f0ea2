import { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

const units = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A model's sell price in quota units per 1M tokens, or per call. */
export const setPriceSchema = z.object({
  model: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .regex(/^[^*\s]*\*?$/, 'a model name or a prefix ending in *'),
  inputPrice: units.default(0),
  cachedInputPrice: units.nullable().default(null),
  outputPrice: units.default(0),
  perCallPrice: units.nullable().default(null),
  costInputPrice: units.nullable().default(null),
  costOutputPrice: units.nullable().default(null),
  costPerCallPrice: units.nullable().default(null),
});

const columns = [
  'id',
  'model',
  'inputPrice',
  'cachedInputPrice',
  'outputPrice',
  'perCallPrice',
  'costInputPrice',
  'costOutputPrice',
  'costPerCallPrice',
  'source',
  'updatedAt',
] as const;

export function listPrices(deps: Deps) {
  return deps.db.db.selectFrom('prices').select(columns).orderBy('model').execute();
}

/** Creates or replaces an admin-set price (an admin price is never overwritten by auto updates). */
export async function setPrice(deps: Deps, input: z.input<typeof setPriceSchema>) {
  const v = setPriceSchema.parse(input);
  const now = deps.now();
  await configTx(deps, async (trx, changed) => {
    const existing = await trx
      .selectFrom('prices')
      .select('id')
      .where('model', '=', v.model)
      .executeTakeFirst();
    if (existing) {
      await trx
        .updateTable('prices')
        .set({ ...v, source: 'admin', updatedAt: now })
        .where('id', '=', existing.id)
        .execute();
    } else {
      await trx
        .insertInto('prices')
        .values({ ...v, source: 'admin', createdAt: now, updatedAt: now })
        .execute();
    }
    changed('price', v.model);
  });
  const row = await deps.db.db
    .selectFrom('prices')
    .select(columns)
    .where('model', '=', v.model)
    .executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'price not found');
  return row;
}

export async function deletePrice(deps: Deps, model: string) {
  await configTx(deps, async (trx, changed) => {
    const res = await trx.deleteFrom('prices').where('model', '=', model).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new ServiceError('NOT_FOUND', 'price not found');
    changed('price', model, 'delete');
  });
  return { model };
}
