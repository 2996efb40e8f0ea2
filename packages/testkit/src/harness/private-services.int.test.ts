import { connect } from 'node:net';
import { createDb } from '@tollgate/shared/db/index.ts';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type PrivateMariaDb,
  type PrivateRedis,
  startPrivateMariaDb,
  startPrivateRedis,
} from './private-services.ts';

describe('private MariaDB', () => {
  let m: PrivateMariaDb | undefined;
  afterAll(async () => {
    await m?.destroy();
  });

  it('keeps its data across stop/start and refuses connections while stopped', async () => {
    m = await startPrivateMariaDb();
    const h = createDb({ sql_dsn: m.url, data_dir: '' }, { poolSize: 1 });
    await sql`create table t (v int)`.execute(h.db);
    await sql`insert into t values (42)`.execute(h.db);
    await h.close();

    await m.stop();
    const down = createDb({ sql_dsn: m.url, data_dir: '' }, { poolSize: 1 });
    await expect(sql`select 1`.execute(down.db)).rejects.toThrow(/ECONNREFUSED/);
    await down.close();

    await m.start();
    const again = createDb({ sql_dsn: m.url, data_dir: '' }, { poolSize: 1 });
    const r = await sql<{ v: number }>`select v from t`.execute(again.db);
    await again.close();
    expect(r.rows).toEqual([{ v: 42 }]);
  });
});

describe('private Redis', () => {
  let r: PrivateRedis | undefined;
  afterAll(async () => {
    await r?.destroy();
  });

  it('keeps its data across stop/start (append-only file) and refuses connections while stopped', async () => {
    r = await startPrivateRedis();
    const c = new Redis(r.url, { maxRetriesPerRequest: 0 });
    await c.set('k', 'v');
    await c.xadd('s', '*', 'f', '1');
    c.disconnect();

    await r.stop();
    await expect(connectError(r.port)).resolves.toBe('ECONNREFUSED');

    await r.start();
    const again = new Redis(r.url, { maxRetriesPerRequest: 0 });
    expect(await again.get('k')).toBe('v');
    expect(await again.xlen('s')).toBe(1);
    again.disconnect();
  });

  it('without persistence starts empty after a restart', async () => {
    const p = await startPrivateRedis({ persist: false });
    try {
      const c = new Redis(p.url, { maxRetriesPerRequest: 0 });
      await c.set('k', 'v');
      c.disconnect();
      await p.stop();
      await p.start();
      const again = new Redis(p.url, { maxRetriesPerRequest: 0 });
      expect(await again.get('k')).toBeNull();
      again.disconnect();
    } finally {
      await p.destroy();
    }
  });
});

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
