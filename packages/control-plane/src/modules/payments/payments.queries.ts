import type { ControlPlaneDeps } from '../../deps.ts';
import { topupColumns } from './topups.service.ts';

type Deps = Pick<ControlPlaneDeps, 'db'>;

/** Top-ups of every user (or one), newest first, with the user's e-mail. */
export async function listTopups(deps: Deps, input: { userId?: number; limit: number }) {
  let q = deps.db.db
    .selectFrom('topups as t')
    .innerJoin('users as u', 'u.id', 't.userId')
    .select([...topupColumns.map((c) => `t.${c}` as const), 'u.email as userEmail']);
  if (input.userId) q = q.where('t.userId', '=', input.userId);
  return q.where('t.status', '!=', 'failed').orderBy('t.id', 'desc').limit(input.limit).execute();
}

/** Recent verified payment webhooks (no payload: it carries customer details). */
export async function listPaymentEvents(deps: Deps, limit: number) {
  return deps.db.db
    .selectFrom('paymentEvents')
    .select([
      'id',
      'provider',
      'eventName',
      'externalId',
      'topupId',
      'userId',
      'outcome',
      'detail',
      'createdAt',
    ])
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
