import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, createSqliteDb } from './index.ts';
import { isDbUnavailable, isDriverError } from './unavailable.ts';

/** The errors real drivers throw, classified: outages (unavailable) versus query errors (not). */

const MYSQL = 'mysql://root@127.0.0.1:3306/';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('isDbUnavailable on real driver errors', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('MySQL on a closed port: unavailable (and a driver error), also when wrapped', async () => {
    const port = await closedPort();
    const h = createDb({ sql_dsn: `mysql://root@127.0.0.1:${port}/x`, data_dir: '' }, { poolSize: 1 });
    const err = await caught(sql`select 1`.execute(h.db));
    await h.close();
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isDbUnavailable(err)).toBe(true);
    expect(isDriverError(err)).toBe(true);
    // wrapped the way tRPC (an error with `cause`) and Promise.any (AggregateError) wrap it
    expect(isDbUnavailable(new Error('outer', { cause: new Error('middle', { cause: err }) }))).toBe(true);
    expect(isDbUnavailable(new AggregateError([new Error('x'), err]))).toBe(true);
  });

  it('a MariaDB connection killed by the server: unavailable; the pool then reconnects', async () => {
    const h = createDb({ sql_dsn: MYSQL, data_dir: '' }, { poolSize: 1 });
    const killer = createDb({ sql_dsn: MYSQL, data_dir: '' }, { poolSize: 1 });
    try {
      const id = (await sql<{ id: number }>`select connection_id() as id`.execute(h.db)).rows[0]!.id;
      // the rejection is caught from the start: it may come before the KILL statement returns
      const slow = caught(sql`select sleep(5)`.execute(h.db));
      await new Promise((r) => setTimeout(r, 200));
      await sql`kill ${sql.raw(String(Number(id)))}`.execute(killer.db);
      const err = await slow;
      expect(isDbUnavailable(err)).toBe(true);
      // the pool drops the dead connection and opens a new one
      const again = (await sql<{ one: number }>`select 1 as one`.execute(h.db)).rows[0]!.one;
      expect(Number(again)).toBe(1);
    } finally {
      await h.close();
      await killer.close();
    }
  });

  it('query errors are not outages: syntax, unknown table, duplicate key', async () => {
    const h = createDb({ sql_dsn: MYSQL, data_dir: '' }, { poolSize: 1 });
    try {
      const syntax = await caught(sql`selec 1`.execute(h.db));
      const table = await caught(sql`select * from no_such_db_xyz.no_such_table`.execute(h.db));
      for (const err of [syntax, table]) {
        expect(isDbUnavailable(err)).toBe(false);
        expect(isDriverError(err)).toBe(true);
      }
      expect(isDbUnavailable({ code: 'ER_DUP_ENTRY', errno: 1062, message: 'Duplicate entry' })).toBe(false);
    } finally {
      await h.close();
    }
  });

  it('SQLite: a file locked by another writer is unavailable; a bad query is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-unavail-'));
    dirs.push(dir);
    const path = join(dir, 'x.db');
    const holder = new DatabaseSync(path);
    holder.exec('create table t (x integer)');
    holder.exec('begin exclusive');
    const locked = new DatabaseSync(path, { timeout: 0 });
    let busy: unknown;
    try {
      locked.exec('insert into t values (1)');
    } catch (err) {
      busy = err;
    }
    expect(isDbUnavailable(busy)).toBe(true);
    holder.exec('rollback');
    holder.close();
    locked.close();

    const h = createSqliteDb(':memory:');
    const bad = await caught(sql`select * from nope`.execute(h.db));
    await h.close();
    expect(isDbUnavailable(bad)).toBe(false);
    expect(isDriverError(bad)).toBe(true);
  });

  it('anything else is not an outage', () => {
    for (const v of [undefined, null, 'ECONNREFUSED', 42, new Error('boom'), { code: 'ENOENT' }])
      expect(isDbUnavailable(v)).toBe(false);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(isDbUnavailable(loop)).toBe(false);
  });
});
