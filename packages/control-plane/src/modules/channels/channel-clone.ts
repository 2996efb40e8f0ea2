import { insertedId } from '@tollgate/shared/db/index.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { configTx } from '../../snapshot/config-tx.ts';
import { getChannel } from './channels.service.ts';

const NAME_MAX = 100;
const SUFFIX = ' (copy)';

/** `"<name> (copy)"`, cut so it still fits the name column. */
export function copyName(name: string): string {
  return `${name.slice(0, NAME_MAX - SUFFIX.length)}${SUFFIX}`;
}

/**
 * Copies a channel as `"<name> (copy)"`: every routing field, and the upstream keys as the sealed
 * boxes they are stored in — they are never decrypted, and never leave the server. The copy starts
 * manually disabled so it takes no traffic (doubling the original's share) until the admin enables it.
 */
export async function cloneChannel(
  deps: Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now' | 'channelBox'>,
  id: number,
) {
  const now = deps.now();
  const newId = await configTx(deps, async (trx, changed) => {
    const src = await trx
      .selectFrom('channels')
      .select([
        'name',
        'type',
        'baseUrl',
        'keysEncrypted',
        'keyMasks',
        'models',
        'modelMapping',
        'groups',
        'priority',
        'weight',
        'testModel',
        'balanceThreshold',
        'costMultiplierPpm',
      ])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!src) throw new ServiceError('NOT_FOUND', 'channel not found');
    const res = await trx
      .insertInto('channels')
      .values({ ...src, name: copyName(src.name), status: 'manual_disabled', createdAt: now, updatedAt: now })
      .executeTakeFirstOrThrow();
    const created = insertedId(res);
    changed('channel', created);
    return created;
  });
  return getChannel(deps, newId);
}
