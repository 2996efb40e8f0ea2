import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Adapts Node 24's built-in `node:sqlite` to Kysely's `SqliteDialect` (no native build needed).
 * WAL, a busy timeout and foreign keys are set so the relay and the site can share one file.
 */
export function openNodeSqlite(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;');
  const statements = new Map<string, StatementSync>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      // Kysely prepares on every query: reuse compiled statements (bounded)
      let stmt = statements.get(sql);
      if (!stmt) {
        if (statements.size >= 500) statements.clear();
        stmt = db.prepare(sql);
        statements.set(sql, stmt);
      }
      const reader = stmt.columns().length > 0;
      return {
        reader,
        all: (params) => stmt.all(...(params as never[])) as unknown[],
        run: (params) => {
          const r = stmt.run(...(params as never[]));
          return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (params) => stmt.iterate(...(params as never[])) as IterableIterator<unknown>,
      };
    },
  };
}
