import { type Kysely, sql } from 'kysely';
import { idColumn, notNull, refType, tableOptions, textType, zero } from './util.ts';

/**
 * The tables the whole product needs (SPEC §2–§7). Timestamps are epoch milliseconds (BIGINT) so both
 * dialects return plain numbers; money is integer quota units (BIGINT); JSON lists are TEXT validated
 * by zod where they are read.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const ref = refType(db);
  const text = textType(db);

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('users'))
      .addColumn('email', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('password_hash', 'varchar(255)', notNull)
      .addColumn('display_name', 'varchar(100)', (c) => c.notNull().defaultTo(''))
      .addColumn('role', 'varchar(16)', (c) => c.notNull().defaultTo('user'))
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('active'))
      .addColumn('group_name', 'varchar(64)', (c) => c.notNull().defaultTo('default'))
      .addColumn('balance', 'bigint', zero)
      .addColumn('used_quota', 'bigint', zero)
      .addColumn('request_count', 'bigint', zero)
      .addColumn('low_balance_threshold', 'bigint')
      .addColumn('locale', 'varchar(16)')
      .addColumn('totp_secret', 'varchar(255)')
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull),
  ).execute();

  await tableOptions(
    db,
    db.schema
      .createTable('sessions')
      .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('user_id', ref, notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('expires_at', 'bigint', notNull)
      .addColumn('last_seen_at', 'bigint', notNull)
      .addColumn('ip', 'varchar(64)', (c) => c.notNull().defaultTo(''))
      .addColumn('user_agent', 'varchar(255)', (c) => c.notNull().defaultTo('')),
  ).execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('groups'))
      .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      // price multiplier in parts per million: 1.2 → 1_200_000
      .addColumn('multiplier_ppm', 'bigint', (c) => c.notNull().defaultTo(1_000_000))
      .addColumn('rpm_limit', 'integer')
      .addColumn('tpm_limit', 'integer')
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull),
  ).execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('tokens'))
      .addColumn('user_id', ref, notNull)
      .addColumn('name', 'varchar(64)', notNull)
      .addColumn('key_hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('key_encrypted', 'varchar(255)', notNull)
      .addColumn('key_mask', 'varchar(32)', notNull)
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('enabled'))
      .addColumn('group_name', 'varchar(64)')
      .addColumn('expires_at', 'bigint')
      .addColumn('remain_quota', 'bigint', zero)
      .addColumn('unlimited_quota', 'integer', zero)
      .addColumn('used_quota', 'bigint', zero)
      .addColumn('models', text)
      .addColumn('allowed_ips', text)
      .addColumn('rpm_limit', 'integer')
      .addColumn('last_used_at', 'bigint')
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull),
  ).execute();
  await db.schema
    .createIndex('tokens_user_name')
    .on('tokens')
    .columns(['user_id', 'name'])
    .unique()
    .execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('channels'))
      .addColumn('name', 'varchar(100)', notNull)
      .addColumn('type', 'varchar(32)', (c) => c.notNull().defaultTo('openai-compatible'))
      .addColumn('base_url', 'varchar(500)', notNull)
      .addColumn('keys_encrypted', text, notNull)
      .addColumn('key_masks', text, notNull)
      .addColumn('models', text, notNull)
      .addColumn('model_mapping', text, notNull)
      .addColumn('groups', text, notNull)
      .addColumn('priority', 'integer', zero)
      .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('test_model', 'varchar(128)')
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('enabled'))
      .addColumn('status_reason', 'varchar(255)')
      .addColumn('test_time', 'bigint')
      .addColumn('response_time_ms', 'integer')
      .addColumn('balance', 'bigint')
      .addColumn('balance_threshold', 'bigint')
      .addColumn('balance_updated_at', 'bigint')
      .addColumn('cost_multiplier_ppm', 'bigint')
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull),
  ).execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('prices'))
      // an exact model name or a `prefix*` wildcard
      .addColumn('model', 'varchar(128)', (c) => c.notNull().unique())
      // quota units per 1M tokens
      .addColumn('input_price', 'bigint', zero)
      .addColumn('cached_input_price', 'bigint')
      .addColumn('output_price', 'bigint', zero)
      // quota units per call; when set, token prices are ignored
      .addColumn('per_call_price', 'bigint')
      // what the upstream charges us per 1M tokens / per call (for margins)
      .addColumn('cost_input_price', 'bigint')
      .addColumn('cost_output_price', 'bigint')
      .addColumn('cost_per_call_price', 'bigint')
      .addColumn('source', 'varchar(16)', (c) => c.notNull().defaultTo('admin'))
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull),
  ).execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('logs'))
      .addColumn('request_id', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('kind', 'varchar(16)', (c) => c.notNull().defaultTo('usage'))
      .addColumn('user_id', ref, notNull)
      .addColumn('token_id', ref)
      .addColumn('model', 'varchar(128)', (c) => c.notNull().defaultTo(''))
      .addColumn('upstream_model', 'varchar(128)')
      .addColumn('channel_id', ref)
      .addColumn('tried_channels', 'varchar(255)')
      .addColumn('prompt_tokens', 'integer', zero)
      .addColumn('cached_tokens', 'integer', zero)
      .addColumn('completion_tokens', 'integer', zero)
      .addColumn('cost', 'bigint', zero)
      .addColumn('channel_cost', 'bigint', zero)
      .addColumn('latency_ms', 'integer', zero)
      .addColumn('ttft_ms', 'integer')
      .addColumn('is_stream', 'integer', zero)
      .addColumn('status_code', 'integer', zero)
      .addColumn('error_code', 'varchar(64)')
      .addColumn('ip', 'varchar(64)')
      .addColumn('note', 'varchar(500)'),
  ).execute();
  await db.schema.createIndex('logs_user_time').on('logs').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('logs_token_time').on('logs').columns(['token_id', 'created_at']).execute();
  await db.schema.createIndex('logs_time').on('logs').column('created_at').execute();
  await db.schema.createIndex('logs_channel_time').on('logs').columns(['channel_id', 'created_at']).execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('ledger'))
      .addColumn('user_id', ref, notNull)
      .addColumn('token_id', ref)
      .addColumn('kind', 'varchar(16)', notNull)
      .addColumn('amount', 'bigint', notNull)
      .addColumn('idempotency_key', 'varchar(128)', (c) => c.notNull().unique())
      .addColumn('note', 'varchar(500)')
      .addColumn('actor_id', ref)
      .addColumn('created_at', 'bigint', notNull),
  ).execute();
  await db.schema.createIndex('ledger_user_time').on('ledger').columns(['user_id', 'created_at']).execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('topups'))
      .addColumn('user_id', ref, notNull)
      .addColumn('provider', 'varchar(32)', notNull)
      .addColumn('external_id', 'varchar(128)')
      .addColumn('money_cents', 'bigint', zero)
      .addColumn('currency', 'varchar(8)', (c) => c.notNull().defaultTo('USD'))
      .addColumn('quota', 'bigint', zero)
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('completed_at', 'bigint'),
  ).execute();
  await db.schema
    .createIndex('topups_external')
    .on('topups')
    .columns(['provider', 'external_id'])
    .unique()
    .execute();
  await db.schema.createIndex('topups_user').on('topups').columns(['user_id', 'created_at']).execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('redemption_codes'))
      .addColumn('code_hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('batch', 'varchar(64)', (c) => c.notNull().defaultTo(''))
      .addColumn('value', 'bigint', notNull)
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('active'))
      .addColumn('expires_at', 'bigint')
      .addColumn('used_by', ref)
      .addColumn('used_at', 'bigint')
      .addColumn('created_at', 'bigint', notNull),
  ).execute();

  await tableOptions(
    db,
    db.schema
      .createTable('settings')
      .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', text, notNull)
      .addColumn('updated_at', 'bigint', notNull),
  ).execute();

  await tableOptions(
    db,
    db.schema
      .createTable('config_version')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('version', 'bigint', notNull),
  ).execute();
  await db.insertInto('config_version').values({ id: 1, version: 1 }).execute();

  await tableOptions(
    db,
    db.schema
      .createTable('config_changes')
      .addColumn('version', 'bigint', (c) => c.primaryKey())
      // JSON [{ entity, id, op }]: ids only, never secrets
      .addColumn('changes', text, notNull)
      .addColumn('created_at', 'bigint', notNull),
  ).execute();

  // events the relay reports (channel failures, counters) in embedded mode; Redis streams otherwise
  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('relay_events'))
      .addColumn('kind', 'varchar(32)', notNull)
      .addColumn('payload', text, notNull)
      .addColumn('created_at', 'bigint', notNull),
  ).execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('notification_channels'))
      .addColumn('name', 'varchar(100)', notNull)
      .addColumn('type', 'varchar(32)', notNull)
      .addColumn('config_encrypted', text, notNull)
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull),
  ).execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('alert_rules'))
      .addColumn('kind', 'varchar(32)', notNull)
      .addColumn('name', 'varchar(100)', notNull)
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('params', text, notNull)
      .addColumn('cooldown_seconds', 'integer', (c) => c.notNull().defaultTo(3600))
      .addColumn('notification_channel_ids', text, notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull),
  ).execute();

  await tableOptions(
    db,
    idColumn(db, db.schema.createTable('alert_events'))
      .addColumn('rule_id', ref)
      .addColumn('kind', 'varchar(32)', notNull)
      .addColumn('subject', 'varchar(128)', (c) => c.notNull().defaultTo(''))
      .addColumn('state', 'varchar(16)', notNull)
      .addColumn('value', 'varchar(255)')
      .addColumn('message', 'varchar(1000)', notNull)
      .addColumn('fired_at', 'bigint', notNull)
      .addColumn('resolved_at', 'bigint')
      .addColumn('last_notified_at', 'bigint')
      .addColumn('deliveries', text),
  ).execute();
  await db.schema
    .createIndex('alert_events_rule')
    .on('alert_events')
    .columns(['rule_id', 'subject', 'state'])
    .execute();

  await sql`select 1`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'alert_events',
    'alert_rules',
    'notification_channels',
    'relay_events',
    'config_changes',
    'config_version',
    'settings',
    'redemption_codes',
    'topups',
    'ledger',
    'logs',
    'prices',
    'channels',
    'tokens',
    'groups',
    'sessions',
    'users',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
