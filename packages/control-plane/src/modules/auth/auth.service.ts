import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { getSettings } from '../settings/settings.service.ts';
import { findUserByEmail } from '../users/users.queries.ts';
import { createUser } from '../users/users.service.ts';
import { dummyHash, verifyPassword } from './password.ts';
import { createSession } from './sessions.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

/** Signs in with e-mail + password; the same error for an unknown e-mail and a wrong password. */
export async function login(
  deps: Deps,
  input: { email: string; password: string },
  meta: { ip?: string; userAgent?: string },
) {
  const user = await findUserByEmail(deps.db.db, input.email.trim().toLowerCase());
  const ok = await verifyPassword(input.password, user?.passwordHash ?? dummyHash);
  if (!user || !ok) throw new ServiceError('UNAUTHORIZED', 'wrong e-mail or password');
  if (user.status !== 'active') throw new ServiceError('FORBIDDEN', 'this account is disabled');
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
