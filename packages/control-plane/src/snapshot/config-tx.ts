import { bumpConfigVersion } from '@tollgate/shared/config-bus.ts';
import type { Database } from '@tollgate/shared/db/index.ts';
import type { ConfigChange, ConfigEntity, ConfigOp } from '@tollgate/shared/snapshot/types.ts';
import type { Kysely, Transaction } from 'kysely';
import type { ControlPlaneDeps } from '../deps.ts';

export type Changed = (entity: ConfigEntity, id: string | number, op?: ConfigOp) => void;

/**
 * The one way configuration is written (DESIGN §1): `fn` runs in a transaction and names what it
 * changed; the snapshot version is bumped in the same transaction and, after commit, published so
 * every relay picks the change up within a second.
 */
export async function configTx<T>(
  deps: Pick<ControlPlaneDeps, 'db' | 'publisher'>,
  fn: (trx: Transaction<Database>, changed: Changed) => Promise<T>,
): Promise<T> {
  const changes: ConfigChange[] = [];
  let version = 0;
  const result = await deps.db.db.transaction().execute(async (trx) => {
    const out = await fn(trx, (entity, id, op = 'upsert') => {
      changes.push({ entity, id: String(id), op });
    });
    if (changes.length > 0) version = await bumpConfigVersion(trx as Kysely<Database>, changes);
    return out;
  });
  if (changes.length > 0) await deps.publisher.publish({ version, changes });
  return result;
}
