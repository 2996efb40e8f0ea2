import { priceEntryColumns } from '@tollgate/shared/snapshot/load.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';
import { type SetPriceInput, setPriceSchema } from './prices.schemas.ts';

export { setPriceSchema };

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

export const priceColumns = ['id', ...priceEntryColumns, 'source', 'updatedAt'] as const;

export function listPrices(deps: Deps) {
  return deps.db.db.selectFrom('prices').select(priceColumns).orderBy('model').execute();
}

/** Creates or replaces an admin-set price (an admin price is never overwritten by auto updates). */
export async function setPrice(deps: Deps, input: SetPriceInput) {
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
    .select(priceColumns)
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
