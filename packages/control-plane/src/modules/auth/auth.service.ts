import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { getSettings } from '../settings/settings.service.ts';
import { findUserByEmail } from '../users/users.queries.ts';
import { createUser } from '../users/users.service.ts';
import { dummyHash, verifyPassword } from './password.ts';
import { createSession } from './sessions.ts';
import { checkSignInCode } from './two-factor.service.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

/**
 * A sign-in: a session for the user, or — when the password was right but the account has two-factor
 * sign-in on and no code came with it — `{ totpRequired: true }` and no session.
 */
export type LoginResult =
  | { totpRequired?: undefined; userId: number; role: 'user' | 'admin'; token: string; expiresAt: number }
  | { totpRequired: true; userId?: undefined; role?: undefined; token?: undefined; expiresAt?: undefined };

/** What `auth.login` answers: the signed-in user, or `{ totpRequired: true }` (ask for the code). */
export type SignInResult =
  | { totpRequired?: undefined; userId: number; role: 'user' | 'admin' }
  | { totpRequired: true; userId?: undefined; role?: undefined };

/**
 * Signs in with e-mail + password (+ `totp`, the 6-digit code, when two-factor is on); the same error
 * for an unknown e-mail and a wrong password. A wrong or replayed code is UNAUTHORIZED.
 */
export async function login(
  deps: Deps & Pick<ControlPlaneDeps, 'cfg'>,
  input: { email: string; password: string; totp?: string },
  meta: { ip?: string; userAgent?: string },
): Promise<LoginResult> {
  const user = await findUserByEmail(deps.db.db, input.email.trim().toLowerCase());
  const ok = await verifyPassword(input.password, user?.passwordHash ?? dummyHash);
  if (!user || !ok) throw new ServiceError('UNAUTHORIZED', 'wrong e-mail or password');
  if (user.status !== 'active') throw new ServiceError('FORBIDDEN', 'this account is disabled');
  if ((await checkSignInCode(deps, user.id, input.totp)) === 'required') return { totpRequired: true };
  const session = await createSession(deps, user.id, meta);
  return { userId: user.id, role: user.role, ...session };
}

/** Registers a `user` account and signs it in; FORBIDDEN while the `registration_open` setting is off. */
export async function register(
  deps: Deps,
  input: { email: string; password: string; displayName?: string },
  meta: { ip?: string; userAgent?: string },
) {
  const { registration_open } = await getSettings(deps);
  if (!registration_open) throw new ServiceError('FORBIDDEN', 'registration is closed on this site');
  const user = await createUser(deps, { ...input, role: 'user' });
  const session = await createSession(deps, user.id, meta);
  return { userId: user.id, role: user.role, ...session };
}
