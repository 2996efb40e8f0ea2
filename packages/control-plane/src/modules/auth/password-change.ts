import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { hashPassword, verifyPassword } from './password.ts';

/** Sets a new password after checking the current one (BAD_REQUEST when it is wrong). */
export async function changePassword(
  deps: Pick<ControlPlaneDeps, 'db' | 'now'>,
  userId: number,
  current: string,
  next: string,
): Promise<void> {
  const row = await deps.db.db
    .selectFrom('users')
    .select('passwordHash')
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row || !(await verifyPassword(current, row.passwordHash))) {
    throw new ServiceError('BAD_REQUEST', 'the current password is not right');
  }
  await deps.db.db
    .updateTable('users')
    .set({ passwordHash: await hashPassword(next), updatedAt: deps.now() })
    .where('id', '=', userId)
    .execute();
}
