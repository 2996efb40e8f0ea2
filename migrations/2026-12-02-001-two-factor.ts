import type { Kysely } from 'kysely';

/**
 * Two-factor sign-in (TOTP, RFC 6238). `totp_secret` (from the first migration) holds the active secret,
 * sealed; `totp_pending` the one being set up until a code from it is confirmed; `totp_enabled_at` says
 * two-factor is on; `totp_last_step` is the last accepted 30-second step, so a code cannot be used twice.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('totp_pending', 'varchar(255)').execute();
  await db.schema.alterTable('users').addColumn('totp_enabled_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('totp_last_step', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const c of ['totp_last_step', 'totp_enabled_at', 'totp_pending'])
    await db.schema.alterTable('users').dropColumn(c).execute();
}
