import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';

/**
 * A user's latest balance changes (top-ups, adjustments with their reason, codes, refunds), newest
 * first, with the e-mail of the admin who made each manual one.
 */
export async function listUserLedger(deps: Pick<ControlPlaneDeps, 'db'>, userId: number, limit: number) {
  const user = await deps.db.db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
  if (!user) throw new ServiceError('NOT_FOUND', 'user not found');
  return deps.db.db
    .selectFrom('ledger')
    .leftJoin('users as actor', 'actor.id', 'ledger.actorId')
    .select([
      'ledger.id',
      'ledger.kind',
      'ledger.amount',
      'ledger.note',
      'ledger.tokenId',
      'ledger.actorId',
      'actor.email as actorEmail',
      'ledger.createdAt',
    ])
    .where('ledger.userId', '=', userId)
    .orderBy('ledger.createdAt', 'desc')
    .orderBy('ledger.id', 'desc')
    .limit(limit)
    .execute();
}
