import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlaneDeps, createControlPlaneDeps } from '@tollgate/control-plane';
import {
  createChannel,
  setChannelStatus,
} from '@tollgate/control-plane/modules/channels/channels.service.ts';
import { createToken } from '@tollgate/control-plane/modules/tokens/tokens.service.ts';
import { createUser } from '@tollgate/control-plane/modules/users/users.service.ts';
import { createSnapshotStore } from '@tollgate/relay/snapshot/store.ts';
import { createSnapshotSync, type SnapshotSync } from '@tollgate/relay/snapshot/subscriber.ts';
import { hashApiKey } from '@tollgate/shared/api-key.ts';
import { loadConfig } from '@tollgate/shared/config.ts';
import { bumpConfigVersion } from '@tollgate/shared/config-bus.ts';
import { createDb, migrateToLatest } from '@tollgate/shared/db/index.ts';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testRedisUrl } from '../harness/services.ts';

const secret = 's'.repeat(40);

async function waitFor(cond: () => boolean, ms = 1000): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

describe.each(['sqlite', 'mysql+redis'] as const)('snapshot sync (%s)', (kind) => {
  let deps: ControlPlaneDeps;
  let sync: SnapshotSync;
  let sub: Redis | undefined;
  let drop: (() => Promise<void>) | undefined;
  const store = createSnapshotStore();

  beforeAll(async () => {
    const overrides: Record<string, unknown> = {
      user_token_secret: secret,
      session_secret: secret,
      log_level: 'silent',
    };
    if (kind === 'mysql+redis') {
      const db = await createTestDatabase();
      drop = db.drop;
      Object.assign(overrides, {
        sql_dsn: db.dsn,
        redis_conn_string: testRedisUrl,
        redis_prefix: `tgtest-${db.name}:`,
      });
    } else {
      overrides.data_dir = mkdtempSync(join(tmpdir(), 'tg-sync-'));
    }
    const cfg = loadConfig({ overrides });
    deps = createControlPlaneDeps(cfg, { logger: pino({ level: 'silent' }) });
    await migrateToLatest(deps.db);
    sub = kind === 'mysql+redis' ? new Redis(testRedisUrl) : undefined;
    // a relay-side handle of its own, like a separate process
    sync = createSnapshotSync({
      db: createDb(cfg),
      channelBox: deps.channelBox,
      store,
      logger: pino({ level: 'silent' }),
      redis: sub,
      channel: deps.redisNames.configChannel,
      pollMs: 250,
      // with Redis, rely on pub/sub only: the safety check is far away
      checkMs: 60_000,
    });
    await sync.start();
  });
  afterAll(async () => {
    await sync?.stop();
    sub?.disconnect();
    deps?.redis?.disconnect();
    await deps?.db.close();
    await drop?.();
  });

  it('applies token and channel changes within a second, incrementally', async () => {
    const user = await createUser(deps, { email: `sync-${Date.now()}@example.com`, password: 'password123' });
    const { key, token } = await createToken(deps, user.id, { name: 'k' });
    const hash = hashApiKey(key);
    await waitFor(() => store.current()?.tokensByHash.has(hash) === true);
    expect(store.current()!.users.get(user.id)?.status).toBe('active');
    const tokensMap = store.current()!.tokensByHash;

    const ch = await createChannel(deps, {
      name: 'c',
      baseUrl: 'http://127.0.0.1:9',
      keys: ['up-key-1'],
      models: ['m1'],
    });
    await waitFor(() => store.current()?.config.channels.get(ch.id)?.keys[0] === 'up-key-1');
    // a channel change does not rebuild the token map
    expect(store.current()!.tokensByHash).toBe(tokensMap);
    expect(store.current()!.config.routes.get('default')?.exact.has('m1')).toBe(true);

    await setChannelStatus(deps, ch.id, 'manual_disabled');
    await waitFor(() => store.current()?.config.channels.get(ch.id)?.status === 'manual_disabled');
    expect(store.current()!.config.routes.get('default')?.exact.has('m1') ?? false).toBe(false);
    expect(token.id).toBeGreaterThan(0);
  });

  it('reloads in full after a version gap', async () => {
    const before = store.current()!.version;
    const user = await createUser(deps, { email: `gap-${Date.now()}@example.com`, password: 'password123' });
    await waitFor(() => store.current()!.users.has(user.id));
    // a token written together with two versions whose change rows are lost: only a full reload finds it
    const now = Date.now();
    await deps.db.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('tokens')
        .values({
          userId: user.id,
          name: 'lost',
          keyHash: 'f'.repeat(64),
          keyEncrypted: 'x',
          keyMask: 'x',
          createdAt: now,
          updatedAt: now,
        })
        .execute();
      await bumpConfigVersion(trx, [{ entity: 'setting', id: 'a', op: 'upsert' }]);
      await bumpConfigVersion(trx, [{ entity: 'setting', id: 'b', op: 'upsert' }]);
      await trx
        .deleteFrom('configChanges')
        .where('version', '>', before + 1)
        .execute();
    });
    await sync.sync();
    await waitFor(() => store.current()!.tokensByHash.has('f'.repeat(64)));
    expect(store.current()!.version).toBeGreaterThanOrEqual(before + 3);
  });
});
