import {
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Kysely,
  MysqlAdapter,
  sql,
} from 'kysely';

/** True when the migration runs on MySQL/MariaDB (otherwise SQLite). */
export function isMysql(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof MysqlAdapter;
}

/** An auto-increment primary key that is BIGINT UNSIGNED on MySQL and INTEGER on SQLite. */
export function idColumn<T extends string, C extends string>(
  db: Kysely<any>,
  table: CreateTableBuilder<T, C>,
): CreateTableBuilder<T, C | 'id'> {
  return isMysql(db)
    ? table.addColumn('id', sql`bigint unsigned`, (c) => c.primaryKey().autoIncrement())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

/** A reference to another table's id (BIGINT UNSIGNED on MySQL to match `idColumn`). */
export function refType(db: Kysely<any>) {
  return isMysql(db) ? sql`bigint unsigned` : sql`integer`;
}

/** Long text: TEXT on both (MEDIUMTEXT on MySQL for JSON lists that may grow). */
export function textType(db: Kysely<any>) {
  return isMysql(db) ? sql`mediumtext` : sql`text`;
}

export type Col = (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
export const notNull: Col = (c) => c.notNull();
export const zero: Col = (c) => c.notNull().defaultTo(0);

/** Table options: InnoDB + utf8mb4 on MySQL. */
export function tableOptions<T extends string, C extends string>(
  db: Kysely<any>,
  t: CreateTableBuilder<T, C>,
) {
  return isMysql(db) ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;
}
