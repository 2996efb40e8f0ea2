import type { Database } from '@tollgate/shared/db/index.ts';
import type { Kysely } from 'kysely';

/** Columns of a user that may leave the server (never the password hash or TOTP secret). */
export const publicUserColumns = [
  'id',
  'email',
  'displayName',
  'role',
  'status',
  'groupName',
  'balance',
  'usedQuota',
  'requestCount',
  'createdAt',
] as const;

export function findUserByEmail(db: Kysely<Database>, email: string) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'passwordHash', 'role', 'status'])
    .where('email', '=', email)
    .executeTakeFirst();
}

export function findPublicUser(db: Kysely<Database>, id: number) {
  return db.selectFrom('users').select(publicUserColumns).where('id', '=', id).executeTakeFirst();
}
