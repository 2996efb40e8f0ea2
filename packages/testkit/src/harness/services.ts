import { randomBytes } from 'node:crypto';
import { createDb } from '@tollgate/shared/db/index.ts';
import { Redis } from 'ioredis';
import { sql } from 'kysely';

/** Where the shared MariaDB and Redis of the test machine are (overridable, never skipped). */
export const testMysqlUrl = process.env.TOLLGATE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const testRedisUrl = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Creates a fresh MariaDB database for one test file on `serverUrl` (default: the shared server);
 * `drop()` removes it.
 */
export async function createTestDatabase(
  serverUrl: string = testMysqlUrl,
): Promise<{ dsn: string; name: string; drop(): Promise<void> }> {
  const name = `tg_test_${randomBytes(6).toString('hex')}`;
  const admin = createDb({ sql_dsn: serverUrl, data_dir: '' });
  try {
    await sql`create database ${sql.raw(name)} character set utf8mb4 collate utf8mb4_bin`.execute(admin.db);
  } catch (err) {
    await admin.close();
    throw new Error(`cannot create a test database on ${serverUrl}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  await admin.close();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    dsn: u.toString(),
    name,
    async drop() {
      const h = createDb({ sql_dsn: serverUrl, data_dir: '' });
      await sql`drop database if exists ${sql.raw(name)}`.execute(h.db);
      await h.close();
    },
  };
}

/** Checks Redis answers PING. */
export async function checkRedis(url = testRedisUrl): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    throw new Error(`Redis at ${url} does not answer: ${(err as Error).message}`, { cause: err });
  } finally {
    r.disconnect();
  }
}
