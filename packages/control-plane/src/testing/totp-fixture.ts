import type { ControlPlaneDeps } from '../deps.ts';
import { newTotpSecret, totpBox, totpCode } from '../modules/auth/totp.ts';
import type { ProcedureTable } from './role-matrix.ts';

/** Two TOTP secrets every signed-in actor of the role matrix holds: one active, one being set up. */
export interface TotpFixture {
  totpActive: string;
  totpPending: string;
}

/**
 * Gives each user two-factor sign-in with `totpActive` and a pending setup of `totpPending`, so
 * `auth.totpEnable` (codes of both) and `auth.totpDisable` (a code of the active one) succeed for
 * every permitted actor of the same world. Codes are claimed per user, so actors never collide.
 */
export async function seedTotp(
  deps: Pick<ControlPlaneDeps, 'db' | 'cfg' | 'now'>,
  userIds: number[],
): Promise<TotpFixture> {
  const fixture = { totpActive: newTotpSecret(), totpPending: newTotpSecret() };
  const box = totpBox(deps.cfg);
  for (const id of userIds) {
    await deps.db.db
      .updateTable('users')
      .set({
        totpSecret: box.encrypt(fixture.totpActive),
        totpPending: box.encrypt(fixture.totpPending),
        totpEnabledAt: deps.now(),
        totpLastStep: null,
      })
      .where('id', '=', id)
      .execute();
  }
  return fixture;
}

/** The role-matrix entries of the two-factor procedures (spread into security.test.ts's table). */
export const totpProcedures: ProcedureTable<TotpFixture> = {
  'auth.totpStatus': { access: 'user', input: () => undefined },
  'auth.totpSetup': { access: 'user', input: () => undefined },
  'auth.totpEnable': {
    access: 'user',
    input: (f) => ({ code: totpCode(f.totpPending), currentCode: totpCode(f.totpActive) }),
  },
  'auth.totpDisable': { access: 'user', input: (f) => ({ code: totpCode(f.totpActive) }) },
};
