import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import { redisNames } from '@tollgate/shared/redis-names.ts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeps, rid, type TestDeps } from '../../testing/harness.ts';
import { createRule } from './alerts.service.ts';
import { evaluators } from './conditions.ts';
import { createAlertEngine } from './engine.ts';
import { createNotifier } from './notifications.service.ts';
import { TrafficWindow } from './traffic-window.ts';

/**
 * The alert rules of a database outage, on the shared Redis (a prefix of the test's own) and MariaDB:
 * the settlement backlog (XLEN of the settlements stream the relays buffer in) and "database
 * unreachable". While SQL cannot be reached the engine still evaluates them from the rules and
 * notification channels it loaded last and delivers to a webhook; the alerts are written to
 * `alert_events`, with their deliveries, once SQL answers again.
 */

const REDIS_URL = 'redis://127.0.0.1:6379';

interface Hook {
  url: string;
  received: { state: string; kind: string; subject: string; value: string | null; message: string }[];
  close(): Promise<void>;
}

async function startHook(): Promise<Hook> {
  const received: Hook['received'] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('outage alert rules', () => {
  let redis: Redis;
  const names = redisNames(`tg_test_${rid()}:`);
  const stream = names.settlementsStream;
  const addSettlements = async (n: number) => {
    for (let i = 0; i < n; i++) await redis.xadd(stream, '*', 's', `settlement-${i}`);
  };

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis?.del(stream);
    redis?.disconnect();
  });

  it('settlement_backlog holds once the stream is longer than the threshold; embedded mode reports nothing', async () => {
    const deps = await createTestDeps({ kind: 'sqlite' });
    try {
      const ctx = (withRedis: boolean) => ({
        deps: { db: deps.db, ...(withRedis ? { redis, redisNames: names } : {}) },
        traffic: new TrafficWindow(),
        now: Date.now(),
        sqlDownSince: null,
      });
      await redis.del(stream);
      await addSettlements(4);
      expect(await evaluators.settlement_backlog(ctx(true), { thresholdEntries: 4 })).toEqual([]);
      await addSettlements(1);
      const held = await evaluators.settlement_backlog(ctx(true), { thresholdEntries: 4 });
      expect(held).toHaveLength(1);
      expect(held[0]).toMatchObject({ subject: 'settlements', value: '5 entries' });
      expect(held[0]!.message).toContain('threshold 4');
      // no Redis (embedded): settlements go straight to SQL
      expect(await evaluators.settlement_backlog(ctx(false), { thresholdEntries: 1 })).toEqual([]);
    } finally {
      await redis.del(stream);
      await deps.cleanup();
    }
  });

  it('database_unreachable holds after the configured seconds without SQL', async () => {
    const deps = await createTestDeps({ kind: 'sqlite' });
    try {
      const now = Date.now();
      const at = (sqlDownSince: number | null) => ({
        deps,
        traffic: new TrafficWindow(),
        now,
        sqlDownSince,
      });
      expect(await evaluators.database_unreachable(at(null), { seconds: 30 })).toEqual([]);
      expect(await evaluators.database_unreachable(at(now - 29_000), { seconds: 30 })).toEqual([]);
      const held = await evaluators.database_unreachable(at(now - 45_000), { seconds: 30 });
      expect(held).toEqual([expect.objectContaining({ subject: 'sql', value: '45 s' })]);
    } finally {
      await deps.cleanup();
    }
  });

  describe('the engine while SQL is down', () => {
    let deps: TestDeps;
    let dead: Db;
    let hook: Hook;
    let sqlDown = false;
    const clock = { t: Date.now() };
    let engine: ReturnType<typeof createAlertEngine>;
    let backlogRule: number;
    let dbRule: number;

    beforeAll(async () => {
      deps = await createTestDeps({ kind: 'mysql' });
      hook = await startHook();
      // the same database handle the engine holds, switched to a server that refuses connections
      dead = createDb(
        { sql_dsn: `mysql://root@127.0.0.1:${await closedPort()}/x`, data_dir: '' },
        { poolSize: 1 },
      );
      const live = deps.db;
      const switchable: Db = {
        kind: live.kind,
        get db() {
          return sqlDown ? dead.db : live.db;
        },
        close: () => live.close(),
      };
      const notifier = await createNotifier(deps, {
        name: 'hook',
        type: 'webhook',
        config: { url: hook.url },
      });
      backlogRule = (
        await createRule(deps, {
          kind: 'settlement_backlog',
          name: 'Settlement backlog',
          params: { thresholdEntries: 3 },
          cooldownSeconds: 60,
          notificationChannelIds: [notifier.id],
        })
      ).id;
      dbRule = (
        await createRule(deps, {
          kind: 'database_unreachable',
          name: 'Database unreachable',
          params: { seconds: 30 },
          cooldownSeconds: 3600,
          notificationChannelIds: [notifier.id],
        })
      ).id;
      // a rule that needs SQL: skipped during the outage
      await createRule(deps, {
        kind: 'channel_auto_disabled',
        name: 'Auto-disabled',
        notificationChannelIds: [notifier.id],
      });
      engine = createAlertEngine(
        { ...deps, db: switchable, redis, redisNames: names, now: () => clock.t },
        { retry: { attempts: 2, backoffMs: 10, timeoutMs: 2000 } },
      );
      await redis.del(stream);
    });
    afterAll(async () => {
      await dead?.close();
      await hook?.close();
      await deps?.cleanup();
    });

    const evaluate = async () => {
      const r = await engine.evaluate();
      await engine.idle();
      return r;
    };
    const events = () => deps.db.db.selectFrom('alertEvents').selectAll().orderBy('id').execute();

    it('fires, repeats and resolves the outage rules from the cached config, delivering to the webhook', async () => {
      // SQL up, no backlog: nothing fires, the rules and channels are loaded
      expect(await evaluate()).toEqual({ fired: 0, repeated: 0, resolved: 0 });

      sqlDown = true;
      await addSettlements(5);
      expect(await evaluate()).toEqual({ fired: 1, repeated: 0, resolved: 0 });
      expect(engine.sqlDownSince()).toBe(clock.t);
      expect(hook.received).toHaveLength(1);
      expect(hook.received[0]).toMatchObject({
        state: 'fired',
        kind: 'settlement_backlog',
        subject: 'settlements',
        value: '5 entries',
      });

      clock.t += 31_000;
      expect(await evaluate()).toEqual({ fired: 1, repeated: 0, resolved: 0 });
      expect(hook.received[1]).toMatchObject({
        state: 'fired',
        kind: 'database_unreachable',
        subject: 'sql',
      });

      // the backlog still holds after its 60 s cooldown: notified again
      clock.t += 30_000;
      await addSettlements(2);
      expect(await evaluate()).toEqual({ fired: 0, repeated: 1, resolved: 0 });
      expect(hook.received[2]).toMatchObject({
        state: 'repeat',
        kind: 'settlement_backlog',
        value: '7 entries',
      });

      // the flushers caught up (SQL still down for the engine): the backlog alert resolves
      await redis.del(stream);
      clock.t += 15_000;
      expect(await evaluate()).toEqual({ fired: 0, repeated: 0, resolved: 1 });
      expect(hook.received[3]).toMatchObject({ state: 'resolved', kind: 'settlement_backlog' });

      // nothing could be written meanwhile
      expect(engine.heldEvents()).toBe(2);
      expect(await events()).toEqual([]);
    });

    it('writes the held alerts with their deliveries once SQL is back, and resolves "database unreachable"', async () => {
      sqlDown = false;
      clock.t += 15_000;
      expect(await evaluate()).toEqual({ fired: 0, repeated: 0, resolved: 1 });
      expect(engine.sqlDownSince()).toBeNull();
      expect(engine.heldEvents()).toBe(0);
      expect(hook.received[4]).toMatchObject({ state: 'resolved', kind: 'database_unreachable' });

      const rows = await events();
      expect(rows.map((r) => [r.ruleId, r.kind, r.state])).toEqual([
        [backlogRule, 'settlement_backlog', 'resolved'],
        [dbRule, 'database_unreachable', 'resolved'],
      ]);
      const deliveries = rows.map((r) =>
        (JSON.parse(r.deliveries ?? '[]') as { state: string; ok: boolean }[]).map(
          (d) => `${d.state}:${d.ok}`,
        ),
      );
      expect(deliveries[0]).toEqual(['fired:true', 'repeat:true', 'resolved:true']);
      expect(deliveries[1]).toEqual(['fired:true', 'resolved:true']);
      expect(rows[0]!.value).toBe('7 entries');

      // back to normal: a new backlog fires through SQL as usual
      await addSettlements(4);
      clock.t += 15_000;
      expect(await evaluate()).toEqual({ fired: 1, repeated: 0, resolved: 0 });
      expect(hook.received).toHaveLength(6);
      expect((await events()).filter((r) => r.state === 'fired').map((r) => r.kind)).toEqual([
        'settlement_backlog',
      ]);
    });
  });
});
