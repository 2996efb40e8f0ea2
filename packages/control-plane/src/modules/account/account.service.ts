import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { LOCALES, type Locale, type UpdateProfileInput, updateProfileSchema } from './account.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'now'>;

function isLocale(v: string | null): v is Locale {
  return v !== null && (LOCALES as readonly string[]).includes(v);
}

/** The caller's own profile: who they are, their group and their language (null = not chosen yet). */
export async function getProfile(deps: Pick<ControlPlaneDeps, 'db'>, userId: number) {
  const row = await deps.db.db
    .selectFrom('users')
    .select(['id', 'email', 'displayName', 'role', 'groupName', 'locale', 'createdAt'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'account not found');
  const { groupName, locale, ...rest } = row;
  return { ...rest, group: groupName, locale: isLocale(locale) ? locale : null };
}

/** Changes the caller's display name (e-mail, role and group are the operator's to change). */
export async function updateProfile(deps: Deps, userId: number, input: UpdateProfileInput) {
  const v = updateProfileSchema.parse(input);
  await deps.db.db
    .updateTable('users')
    .set({ displayName: v.displayName, updatedAt: deps.now() })
    .where('id', '=', userId)
    .execute();
  return getProfile(deps, userId);
}

/** Stores the caller's language; the site renders in it from the next page on. */
export async function setLocale(deps: Deps, userId: number, locale: Locale) {
  if (!isLocale(locale)) throw new ServiceError('BAD_REQUEST', `unsupported language ${String(locale)}`);
  await deps.db.db
    .updateTable('users')
    .set({ locale, updatedAt: deps.now() })
    .where('id', '=', userId)
    .execute();
  return getProfile(deps, userId);
}
