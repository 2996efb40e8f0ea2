import { createHmac } from 'node:crypto';
import { createRelayEventsJob } from '@tollgate/control-plane/jobs/relay-events.ts';
import { alertHistory, createRule } from '@tollgate/control-plane/modules/alerts/alerts.service.ts';
import { createAlertEngine } from '@tollgate/control-plane/modules/alerts/engine.ts';
import { createNotifier } from '@tollgate/control-plane/modules/alerts/notifications.service.ts';
import { createChannel } from '@tollgate/control-plane/modules/channels/channels.service.ts';
import { createToken } from '@tollgate/control-plane/modules/tokens/tokens.service.ts';
import { createTestDeps, rid, seedUser, type TestDeps } from '@tollgate/control-plane/testing/harness.ts';
import { createApp } from '@tollgate/relay/app.ts';
import { createEventReporter } from '@tollgate/relay/events/reporter.ts';
import { createTrafficCounter } from '@tollgate/relay/events/traffic.ts';
import { createCooldowns } from '@tollgate/relay/proxy/cooldown.ts';
import { createUpstreamClient } from '@tollgate/relay/proxy/forward.ts';
import { createSnapshotStore } from '@tollgate/relay/snapshot/store.ts';
import { EVENTS_GROUP } from '@tollgate/shared/events.ts';
import { loadFullSnapshot } from '@tollgate/shared/snapshot/load.ts';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { type HttpReceiver, startHttpReceiver } from '../harness/receivers.ts';
import { testRedisUrl } from '../harness/services.ts';

/**
 * The production path of the alert counters: a relay (MariaDB + Redis, its own Redis connection, the
 * real event reporter) aggregates its traffic in memory and ships one summary to the Redis events
 * stream; the control plane's consumer reads it from its stream group into the alert engine's window,
 * and the overall-error-rate rule fires from it. Nothing goes through the `relay_events` table.
 */
describe('traffic counters through Redis reach the alert rules', () => {
  let deps: TestDeps;
  let relayRedis: Redis;
  let fake: FakeUpstream;
  let hook: HttpReceiver;

  beforeAll(async () => {
    deps = await createTestDeps({
      kind: 'mysql',
      config: { redis_conn_string: testRedisUrl, redis_prefix: `tg_test_traffic_${rid()}:` },
    });
    deps.redis = new Redis(testRedisUrl);
    relayRedis = new Redis(testRedisUrl);
    fake = await startFakeUpstream();
    hook = await startHttpReceiver();
  });
  afterAll(async () => {
    const keys = (await relayRedis?.keys(`${deps.redisNames.prefix}*`)) ?? [];
    if (keys.length) await relayRedis.del(...keys);
    relayRedis?.disconnect();
    deps?.redis?.disconnect();
    await fake?.close();
    await hook?.close();
    await deps?.cleanup();
  });

  it('a relay’s aggregated summary reaches the consumer and the error-rate rule fires from it', async () => {
    const names = deps.redisNames;
    await createChannel(deps, {
      name: 'fake',
      baseUrl: fake.url,
      keys: ['sk-upstream'],
      models: ['gpt-4o-mini'],
    });
    const user = await seedUser(deps);
    const { key } = await createToken(deps, user.id, { name: 'k' });
    const notifier = await createNotifier(deps, {
      name: 'hook',
      type: 'webhook',
      config: { url: `${hook.url}/alerts`, secret: 'hook-secret' },
    });
    await createRule(deps, {
      kind: 'error_rate',
      name: 'errors',
      params: { thresholdPct: 20, windowMinutes: 5, minRequests: 10 },
      cooldownSeconds: 300,
      notificationChannelIds: [notifier.id],
    });

    // the relay, wired as relay/src/main.ts wires it in Redis mode
    const logger = pino({ level: 'silent' });
    const events = createEventReporter({
      db: deps.db,
      redis: relayRedis,
      stream: names.eventsStream,
      logger,
      intervalMs: 3_600_000,
    });
    const traffic = createTrafficCounter({ report: (e) => events.report(e), intervalMs: 3_600_000 });
    const upstream = createUpstreamClient({ connectTimeoutMs: 2000, timeoutMs: 5000 });
    const app = createApp({
      logger,
      store: createSnapshotStore(await loadFullSnapshot(deps.db, deps.channelBox)),
      upstream,
      tokenSecret: deps.cfg.user_token_secret,
      maxBodyBytes: 1 << 20,
      maxAttempts: 1,
      requestTimeoutMs: 10_000,
      cooldowns: createCooldowns(0),
      reportEvent: (e) => events.report(e),
      traffic,
    });
    const chat = async () => {
      const res = await app.request('/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.arrayBuffer();
      return res.status;
    };

    try {
      for (let i = 0; i < 7; i++) expect(await chat()).toBe(200);
      fake.setBehaviour({ fault: { status: 500 } });
      for (let i = 0; i < 3; i++) expect(await chat()).toBe(502);

      // nothing is shipped per request: the stream stays empty until the counters are flushed
      await events.flush();
      const perRequest = await relayRedis.xrange(names.eventsStream, '-', '+');
      expect(perRequest.every(([, f]) => !String(f[1]).includes('"kind":"traffic"'))).toBe(true);
      traffic.flush();
      await events.flush();
      const entries = await relayRedis.xrange(names.eventsStream, '-', '+');
      const summaries = entries
        .map(([, fields]) => JSON.parse(fields[1]!) as { kind: string; requests?: number; errors?: number })
        .filter((e) => e.kind === 'traffic');
      expect(summaries).toEqual([expect.objectContaining({ requests: 10, errors: 3 })]);

      // the control plane's consumer reads it from the stream group, acknowledges it, SQL untouched
      const engine = createAlertEngine(deps, { retry: { attempts: 2, backoffMs: 10, timeoutMs: 2000 } });
      const consume = createRelayEventsJob(deps, { consumer: 'cp-1', traffic: engine.traffic });
      const got = await consume();
      expect(got.processed).toBe(entries.length);
      expect(engine.traffic.overall(Date.now() - 60_000, Date.now() + 1)).toMatchObject({
        requests: 10,
        errors: 3,
      });
      expect((await consume()).processed).toBe(0);
      expect(await relayRedis.xpending(names.eventsStream, EVENTS_GROUP)).toEqual([0, null, null, null]);
      const sqlRows = await deps.db.db
        .selectFrom('relayEvents')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(sqlRows.n)).toBe(0);

      // the rule fires from it, once, with the value and a signed notification
      expect(await engine.evaluate()).toMatchObject({ fired: 1 });
      await engine.idle();
      expect(await engine.evaluate()).toMatchObject({ fired: 0, repeated: 0 });
      await engine.idle();
      expect(hook.received).toHaveLength(1);
      const note = hook.received[0]!;
      expect(note.json).toMatchObject({ state: 'fired', subject: 'overall' });
      expect(note.headers['x-tollgate-signature']).toBe(
        createHmac('sha256', 'hook-secret').update(note.raw).digest('hex'),
      );
      const [event] = await alertHistory(deps, { limit: 1 });
      expect(event).toMatchObject({ kind: 'error_rate', subject: 'overall', state: 'fired', value: '30%' });
    } finally {
      traffic.close();
      await events.close();
      await upstream.close();
    }
  });
});
