import { migrations } from '@tollgate/migrations';
import { CamelCasePlugin, Kysely, MysqlDialect, SqliteDialect, sql } from 'kysely';
import { type Migration, type MigrationResultSet, Migrator } from 'kysely/migration';
import { createPool } from 'mysql2';
import { type Config, sqlitePath } from '../config.ts';
import { openNodeSqlite } from './node-sqlite.ts';
import type { Database } from './types.ts';

export type * from './types.ts';

export type DbKind = 'mysql' | 'sqlite';

/** A database handle plus the one place that knows which dialect it speaks. */
export interface Db {
  kind: DbKind;
  db: Kysely<Database>;
  close(): Promise<void>;
}

/** Opens MySQL/MariaDB when `sql_dsn` is set, otherwise the embedded SQLite file under `data_dir`. */
export function createDb(cfg: Pick<Config, 'sql_dsn' | 'data_dir'>, opts: { poolSize?: number } = {}): Db {
  if (cfg.sql_dsn) {
    const pool = createPool({
      uri: cfg.sql_dsn,
      connectionLimit: opts.poolSize ?? 10,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: true,
      timezone: 'Z',
      charset: 'utf8mb4',
      enableKeepAlive: true,
    });
    const db = new Kysely<Database>({
      dialect: new MysqlDialect({ pool }),
      plugins: [new CamelCasePlugin()],
    });
    return { kind: 'mysql', db, close: () => db.destroy() };
  }
  return createSqliteDb(sqlitePath(cfg));
}

/** An SQLite database at `path` (`:memory:` for tests). */
export function createSqliteDb(path: string): Db {
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: openNodeSqlite(path) }),
    plugins: [new CamelCasePlugin()],
  });
  return { kind: 'sqlite', db, close: () => db.destroy() };
}

/** Runs every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(handle: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db: handle.db as unknown as Kysely<unknown>,
    provider: { getMigrations: async (): Promise<Record<string, Migration>> => migrations },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed`, { cause: result.error });
  }
  return result;
}

/** SUM/COUNT come back as strings on MariaDB and numbers on SQLite: always a number here. */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v);
}

/** The id of a row just inserted (MySQL has no RETURNING; both report insertId). */
export function insertedId(result: { insertId?: bigint | number }): number {
  if (result.insertId === undefined) throw new Error('insert returned no id');
  return Number(result.insertId);
}

/** True for a unique-constraint violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string } | undefined;
  if (!e) return false;
  return (
    e.code === 'ER_DUP_ENTRY' ||
    e.errno === 1062 ||
    (e.code === 'ERR_SQLITE_ERROR' && /UNIQUE constraint failed/.test(e.message ?? '')) ||
    /UNIQUE constraint failed/.test(e.message ?? '')
  );
}

/** Cheap liveness check. */
export async function ping(handle: Db): Promise<void> {
  await sql`select 1`.execute(handle.db);
}
