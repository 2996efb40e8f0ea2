import type { Kysely } from 'kysely';
import { idColumn, isMysql, notNull, refType, tableOptions, textType, zero } from './util.ts';

/**
 * Payments (SPEC §6): server-only settings, refunds on top-ups, every payment webhook recorded, redemption codes that the
 * admin can export again, the low-balance reminder flag and stored monthly statements.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const ref = refType(db);
  const text = textType(db);

  // server-only settings (payment provider, SMTP): never in the relay snapshot; secrets inside are sealed
  await tableOptions(
    db,
    db.schema
      .createTable('private_settings')
      .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', text, notNull)
      .addColumn('updated_at', 'bigint', notNull),
  ).execute();

  await db.schema.alterTable('topups').addColumn('refunded_cents', 'bigint', zero).execute();
  await db.schema.alterTable('topups').addColumn('refunded_quota', 'bigint', zero).execute();
  await db.schema.alterTable('topups').addColumn('checkout_url', 'varchar(1000)').execute();
  await db.schema.alterTable('topups').addColumn('test_mode', 'integer', zero).execute();

  // every webhook that passed the signature check, with what was done about it
  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('payment_events'))
      .addColumn('provider', 'varchar(32)', notNull)
      .addColumn('event_name', 'varchar(64)', notNull)
      .addColumn('external_id', 'varchar(128)')
      .addColumn('topup_id', ref)
      .addColumn('user_id', ref)
      // credited | refunded | duplicate | unknown | ignored
      .addColumn('outcome', 'varchar(16)', notNull)
      .addColumn('detail', 'varchar(500)')
      .addColumn('payload', text, notNull)
      .addColumn('created_at', 'bigint', notNull),
  ).execute();
  await db.schema
    .createIndex('payment_events_external')
    .on('payment_events')
    .columns(['provider', 'external_id'])
    .execute();
  await db.schema.createIndex('payment_events_time').on('payment_events').column('created_at').execute();

  await db.schema.alterTable('redemption_codes').addColumn('code_encrypted', 'varchar(255)').execute();
  await db.schema
    .alterTable('redemption_codes')
    .addColumn('code_mask', 'varchar(32)', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.alterTable('redemption_codes').addColumn('created_by', ref).execute();
  await db.schema.createIndex('redemption_codes_batch').on('redemption_codes').column('batch').execute();

  // set when the low-balance e-mail went out; cleared once the balance is back above the threshold
  await db.schema.alterTable('users').addColumn('low_balance_notified_at', 'bigint').execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('statements'))
      .addColumn('user_id', ref, notNull)
      // YYYY-MM, UTC
      .addColumn('month', 'varchar(7)', notNull)
      .addColumn('opening', 'bigint', zero)
      .addColumn('topups', 'bigint', zero)
      .addColumn('refunds', 'bigint', zero)
      .addColumn('adjustments', 'bigint', zero)
      .addColumn('usage', 'bigint', zero)
      .addColumn('requests', 'bigint', zero)
      .addColumn('closing', 'bigint', zero)
      // JSON [{ model, requests, promptTokens, completionTokens, cost }]
      .addColumn('usage_by_model', text, notNull)
      .addColumn('generated_at', 'bigint', notNull),
  ).execute();
  await db.schema
    .createIndex('statements_user_month')
    .on('statements')
    .columns(['user_id', 'month'])
    .unique()
    .execute();
  await db.schema.createIndex('statements_month').on('statements').column('month').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('statements').ifExists().execute();
  await db.schema.dropTable('private_settings').ifExists().execute();
  await db.schema.alterTable('users').dropColumn('low_balance_notified_at').execute();
  const drop = db.schema.dropIndex('redemption_codes_batch');
  await (isMysql(db) ? drop.on('redemption_codes') : drop).execute();
  for (const c of ['created_by', 'code_mask', 'code_encrypted'])
    await db.schema.alterTable('redemption_codes').dropColumn(c).execute();
  await db.schema.dropTable('payment_events').ifExists().execute();
  for (const c of ['test_mode', 'checkout_url', 'refunded_quota', 'refunded_cents'])
    await db.schema.alterTable('topups').dropColumn(c).execute();
}
