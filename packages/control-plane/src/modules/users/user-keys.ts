import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';
import { listTokens } from '../tokens/tokens.service.ts';

type Deps = Parameters<typeof listTokens>[0];

async function requireUser(deps: Pick<ControlPlaneDeps, 'db'>, userId: number): Promise<void> {
  const row = await deps.db.db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'user not found');
}

/** A user's keys for the operator, newest first: masks and limits, never the key or its hash. */
export async function listUserKeys(deps: Deps, userId: number) {
  await requireUser(deps, userId);
  return listTokens(deps, userId);
}

/** Disables every enabled key of a user in one snapshot change (each relay stops them together). */
export async function disableUserKeys(
  deps: Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>,
  userId: number,
): Promise<{ disabled: number }> {
  await requireUser(deps, userId);
  return configTx(deps, async (trx, changed) => {
    const ids = await trx
      .selectFrom('tokens')
      .select('id')
      .where('userId', '=', userId)
      .where('status', '=', 'enabled')
      .execute();
    if (ids.length === 0) return { disabled: 0 };
    await trx
      .updateTable('tokens')
      .set({ status: 'disabled', updatedAt: deps.now() })
      .where('userId', '=', userId)
      .where(
        'id',
        'in',
        ids.map((r) => r.id),
      )
      .execute();
    for (const { id } of ids) changed('token', id);
    return { disabled: ids.length };
  });
}
