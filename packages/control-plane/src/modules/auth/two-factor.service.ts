import type { Database } from '@tollgate/shared/db/index.ts';
import type { Kysely } from 'kysely';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { getSettings } from '../settings/settings.service.ts';
import { matchTotp, newTotpSecret, totpBox, totpUri } from './totp.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'now' | 'cfg'>;

/** Whether a user has two-factor sign-in on, and whether a setup is waiting for its first code. */
export interface TotpStatus {
  enabled: boolean;
  enabledAt: number | null;
  pending: boolean;
}

async function totpRow(db: Kysely<Database>, userId: number) {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'totpSecret', 'totpPending', 'totpEnabledAt'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'user not found');
  return row;
}

export async function totpStatus(deps: Deps, userId: number): Promise<TotpStatus> {
  const row = await totpRow(deps.db.db, userId);
  return {
    enabled: row.totpEnabledAt !== null && row.totpSecret !== null,
    enabledAt: row.totpEnabledAt,
    pending: row.totpPending !== null,
  };
}

/**
 * Claims time step `step` for the user: succeeds only if no later or equal step was accepted before,
 * in one conditional UPDATE, so a code (or an older one) can never be used twice — even by two
 * requests at once (RFC 6238 §5.2).
 */
async function claimStep(db: Kysely<Database>, userId: number, step: number): Promise<boolean> {
  const res = await db
    .updateTable('users')
    .set({ totpLastStep: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totpLastStep', 'is', null), eb('totpLastStep', '<', step)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Checks a code against the active secret and claims its step; false for a wrong or replayed code. */
async function acceptActiveCode(deps: Deps, userId: number, sealed: string, code: string): Promise<boolean> {
  const step = matchTotp(totpBox(deps.cfg).decrypt(sealed), code, deps.now());
  return step !== null && (await claimStep(deps.db.db, userId, step));
}

/**
 * Starts (or restarts) a setup: a new secret is sealed into `totp_pending` and returned once, with the
 * `otpauth://` URI to show as a QR code. Sign-in is unchanged until {@link enableTotp} confirms a code.
 */
export async function beginTotpSetup(deps: Deps, userId: number): Promise<{ secret: string; uri: string }> {
  const row = await totpRow(deps.db.db, userId);
  const { site_name } = await getSettings(deps);
  const secret = newTotpSecret();
  await deps.db.db
    .updateTable('users')
    .set({ totpPending: totpBox(deps.cfg).encrypt(secret), updatedAt: deps.now() })
    .where('id', '=', userId)
    .execute();
  return { secret, uri: totpUri(secret, row.email, site_name || 'Tollgate') };
}

/**
 * Turns two-factor sign-in on with the pending secret once `code` proves the app has it. Replacing an
 * active secret also needs `currentCode` from the old one, so a stolen session cannot swap the device.
 * Wrong codes are BAD_REQUEST; nothing changes.
 */
export async function enableTotp(
  deps: Deps,
  userId: number,
  input: { code: string; currentCode?: string },
): Promise<TotpStatus> {
  const row = await totpRow(deps.db.db, userId);
  if (!row.totpPending) throw new ServiceError('BAD_REQUEST', 'start the two-factor setup first');
  if (row.totpEnabledAt !== null && row.totpSecret) {
    if (!input.currentCode || !(await acceptActiveCode(deps, userId, row.totpSecret, input.currentCode)))
      throw new ServiceError('BAD_REQUEST', 'enter a current code from the authenticator you use now');
  }
  const now = deps.now();
  const step = matchTotp(totpBox(deps.cfg).decrypt(row.totpPending), input.code, now);
  if (step === null)
    throw new ServiceError('BAD_REQUEST', 'that code is not right; check the time on your device');
  const res = await deps.db.db
    .updateTable('users')
    .set({
      totpSecret: row.totpPending,
      totpPending: null,
      totpEnabledAt: now,
      totpLastStep: step,
      updatedAt: now,
    })
    .where('id', '=', userId)
    .where('totpPending', '=', row.totpPending)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0)
    throw new ServiceError('CONFLICT', 'the setup changed meanwhile; start it again');
  return totpStatus(deps, userId);
}

/** Turns two-factor sign-in off; needs a current (unused) code. Clears the secrets. */
export async function disableTotp(deps: Deps, userId: number, code: string): Promise<TotpStatus> {
  const row = await totpRow(deps.db.db, userId);
  if (row.totpEnabledAt === null || !row.totpSecret)
    throw new ServiceError('BAD_REQUEST', 'two-factor sign-in is not on');
  if (!(await acceptActiveCode(deps, userId, row.totpSecret, code)))
    throw new ServiceError('BAD_REQUEST', 'that code is not right or was already used');
  await deps.db.db
    .updateTable('users')
    .set({
      totpSecret: null,
      totpPending: null,
      totpEnabledAt: null,
      totpLastStep: null,
      updatedAt: deps.now(),
    })
    .where('id', '=', userId)
    .execute();
  return totpStatus(deps, userId);
}

/**
 * The second step of signing in, after the password was right: `required` when the user has two-factor
 * on and gave no code; UNAUTHORIZED for a wrong or replayed code; `ok` otherwise.
 */
export async function checkSignInCode(
  deps: Deps,
  userId: number,
  code: string | undefined,
): Promise<'ok' | 'required'> {
  const row = await totpRow(deps.db.db, userId);
  if (row.totpEnabledAt === null || !row.totpSecret) return 'ok';
  if (code === undefined || code === '') return 'required';
  if (!(await acceptActiveCode(deps, userId, row.totpSecret, code)))
    throw new ServiceError('UNAUTHORIZED', 'wrong or already used two-factor code');
  return 'ok';
}
