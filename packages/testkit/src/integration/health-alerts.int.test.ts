import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChannelTestsJob } from '@tollgate/control-plane/jobs/channel-tests.ts';
import { createRelayEventsJob } from '@tollgate/control-plane/jobs/relay-events.ts';
import type { RuleKind } from '@tollgate/control-plane/modules/alerts/alerts.schemas.ts';
import { alertHistory, createRule } from '@tollgate/control-plane/modules/alerts/alerts.service.ts';
import { type AlertEngine, createAlertEngine } from '@tollgate/control-plane/modules/alerts/engine.ts';
import { createNotifier } from '@tollgate/control-plane/modules/alerts/notifications.service.ts';
import {
  createChannel,
  getChannel,
  setChannelStatus,
} from '@tollgate/control-plane/modules/channels/channels.service.ts';
import { runChannelTests, setChannelBalance } from '@tollgate/control-plane/modules/health/health.service.ts';
import { setSettings } from '@tollgate/control-plane/modules/settings/settings.service.ts';
import { createToken } from '@tollgate/control-plane/modules/tokens/tokens.service.ts';
import { createTestDeps, seedUser, type TestDeps } from '@tollgate/control-plane/testing/harness.ts';
import { createApp } from '@tollgate/relay/app.ts';
import { createTrafficCounter, type TrafficCounter } from '@tollgate/relay/events/traffic.ts';
import { createCooldowns } from '@tollgate/relay/proxy/cooldown.ts';
import { createUpstreamClient } from '@tollgate/relay/proxy/forward.ts';
import { createSnapshotStore } from '@tollgate/relay/snapshot/store.ts';
import { appendEvents, type RelayEvent } from '@tollgate/shared/events.ts';
import { loadFullSnapshot } from '@tollgate/shared/snapshot/load.ts';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream } from '../fake-upstream/server.ts';
import { startHttpReceiver } from '../harness/receivers.ts';

const MIN = 60_000;

/**
 * One control plane (embedded SQLite) + one in-process relay over the same database + a fake
 * upstream + a webhook receiver. Time is a script: `clock.t` drives the control plane and the relay's
 * traffic counter, so windows and cooldowns pass without waiting.
 */
async function stack(config: Record<string, unknown> = {}) {
  const clock = { t: Date.now() };
  const deps: TestDeps = await createTestDeps({ kind: 'sqlite', config });
  deps.now = () => clock.t;
  const fake = await startFakeUpstream();
  /** an upstream that answers 500 to everything */
  const down = await startFakeUpstream({ defaults: { fault: { status: 500 } } });
  const hook = await startHttpReceiver();
  const store = createSnapshotStore(await loadFullSnapshot(deps.db, deps.channelBox));
  const reload = async () => store.replace(await loadFullSnapshot(deps.db, deps.channelBox));
  const pending: RelayEvent[] = [];
  const traffic: TrafficCounter = createTrafficCounter({
    report: (e) => pending.push(e),
    intervalMs: 3_600_000,
    now: () => clock.t,
  });
  const upstream = createUpstreamClient({ connectTimeoutMs: 2000, timeoutMs: 5000 });
  const app = createApp({
    logger: pino({ level: 'silent' }),
    store,
    upstream,
    tokenSecret: deps.cfg.user_token_secret,
    maxBodyBytes: 1 << 20,
    maxAttempts: 2,
    requestTimeoutMs: 10_000,
    // no cooldown between requests, so every request reaches the failing channel
    cooldowns: createCooldowns(0),
    reportEvent: (e) => pending.push({ ...e, at: clock.t }),
    traffic,
  });
  const engine: AlertEngine = createAlertEngine(deps, {
    retry: { attempts: 2, backoffMs: 10, timeoutMs: 2000 },
  });
  const events = createRelayEventsJob(deps, { consumer: 'test', traffic: engine.traffic });
  const user = await seedUser(deps);
  const { key } = await createToken(deps, user.id, { name: 'k1' });
  const { key: key2, token: token2 } = await createToken(deps, user.id, { name: 'k2' });
  const notifier = await createNotifier(deps, {
    name: 'hook',
    type: 'webhook',
    config: { url: `${hook.url}/alerts`, secret: 'hook-secret' },
  });
  await reload();

  return {
    clock,
    deps,
    fake,
    down,
    hook,
    engine,
    reload,
    key,
    key2,
    token2,
    notifier,
    /** one chat completion through the relay */
    chat: async (model: string, o: { key?: string; content?: string } = {}) => {
      const res = await app.request('/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${o.key ?? key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: o.content ?? 'hello' }] }),
      });
      await res.arrayBuffer();
      return res.status;
    },
    /** the relay ships its counters and events; the control plane consumes them (one consumer) */
    ship: async () => {
      traffic.flush();
      await appendEvents({ db: deps.db, stream: 'unused' }, pending.splice(0));
      return events();
    },
    /** one evaluation, then every notification it started has been delivered or given up */
    evaluate: async () => {
      const r = await engine.evaluate();
      await engine.idle();
      return r;
    },
    /** the notifications the webhook received, as [state, subject] */
    notes: () =>
      hook.received.map((r) => {
        const m = r.json as { state: string; subject: string };
        return [m.state, m.subject];
      }),
    rule: (kind: RuleKind, params: Record<string, number> = {}, cooldownSeconds = 300) =>
      createRule(deps, {
        kind,
        name: `${kind} rule`,
        params,
        cooldownSeconds,
        notificationChannelIds: [notifier.id],
      }),
    async close() {
      traffic.close();
      await upstream.close();
      await fake.close();
      await down.close();
      await hook.close();
      await deps.cleanup();
    },
  };
}

type Stack = Awaited<ReturnType<typeof stack>>;

async function channel(s: Stack, name: string, over: Record<string, unknown> = {}) {
  const c = await createChannel(s.deps, {
    name,
    baseUrl: s.fake.url,
    keys: ['sk-upstream'],
    models: ['gpt-4o-mini'],
    testModel: 'gpt-4o-mini',
    ...over,
  });
  await s.reload();
  return c;
}

describe('health checks (embedded SQLite, fake upstream)', () => {
  let s: Stack;
  beforeEach(async () => {
    s = await stack({
      channel: { auto_disable_failures: 3, auto_disable_window_seconds: 60, test_frequency: 5 },
    });
  });
  afterEach(async () => s?.close());

  it('a failing channel is auto-disabled by the relay rule and re-enabled by the scheduled test once the upstream recovers; a manually disabled one stays off', async () => {
    const a = await channel(s, 'A');
    const manual = await channel(s, 'M', { models: ['other-model'] });
    await setChannelStatus(s.deps, manual.id, 'manual_disabled');
    const job = createChannelTestsJob(s.deps);

    s.fake.setBehaviour({ fault: { status: 500 } });
    for (let i = 0; i < 3; i++) expect(await s.chat('gpt-4o-mini')).toBe(502);
    expect((await s.ship()).disabled).toEqual([a.id]);
    expect((await getChannel(s.deps, a.id)).status).toBe('auto_disabled');

    // still failing: the scheduled test leaves it disabled but records the test time
    expect(await job()).toMatchObject({ tested: 1, failed: 1, reenabled: 0 });
    const failedTest = await getChannel(s.deps, a.id);
    expect(failedTest.status).toBe('auto_disabled');
    expect(failedTest.testTime).toBe(s.clock.t);

    // not due yet: nothing happens before test_frequency minutes have passed
    s.fake.resetBehaviour();
    s.clock.t += 4 * MIN;
    expect(await job()).toEqual({ tested: 0 });
    s.clock.t += 1 * MIN;
    const before = s.fake.requests.length;
    expect(await job()).toMatchObject({ tested: 1, failed: 0, reenabled: 1 });
    const back = await getChannel(s.deps, a.id);
    expect(back.status).toBe('enabled');
    expect(back.testTime).toBe(s.clock.t);
    expect(back.responseTimeMs).toBeGreaterThanOrEqual(0);
    // the test is a tiny chat completion with the test model and the channel's key
    const sent = s.fake.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      path: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      authorization: 'Bearer sk-upstream',
    });
    expect(sent[0]!.body).toMatchObject({ max_tokens: 1 });
    // the manually disabled channel was not tested, and a passing manual test does not enable it
    expect((await getChannel(s.deps, manual.id)).status).toBe('manual_disabled');
    const [manualTest] = await runChannelTests(s.deps, { ids: [manual.id] });
    expect(manualTest).toMatchObject({ ok: true, reenabled: false });
    expect((await getChannel(s.deps, manual.id)).status).toBe('manual_disabled');
    // the relay routes to it again once it has the new snapshot
    await s.reload();
    expect(await s.chat('gpt-4o-mini')).toBe(200);
  });

  it('flags a test slower than the threshold; an unreachable upstream fails with a reason', async () => {
    await setSettings(s.deps, { channel_test_slow_ms: 50 });
    const slow = await channel(s, 'slow', { testModel: 'fake-slow-120' });
    const gone = await channel(s, 'gone', { baseUrl: 'http://127.0.0.1:1' });
    const results = await runChannelTests(s.deps, { ids: [slow.id, gone.id] });
    expect(results[0]).toMatchObject({ ok: true, slow: true });
    expect(results[0]!.latencyMs).toBeGreaterThanOrEqual(100);
    expect(results[1]).toMatchObject({ ok: false, slow: false });
    expect(results[1]!.error).toBeTruthy();
  });

  it('runs tests concurrently within the bound, and a run never overlaps with itself', async () => {
    let inFlight = 0;
    let peak = 0;
    let served = 0;
    const server = createServer((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      req.resume();
      setTimeout(() => {
        inFlight--;
        served++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"choices":[{"message":{"content":"x"}}]}');
      }, 60);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (let i = 0; i < 7; i++) await channel(s, `c${i}`, { baseUrl: url });
      const first = runChannelTests(s.deps, { concurrency: 3 });
      const second = runChannelTests(s.deps, { concurrency: 3 });
      expect(second).toBe(first);
      const results = await first;
      expect(results).toHaveLength(7);
      expect(results.every((r) => r.ok)).toBe(true);
      expect(served).toBe(7);
      expect(peak).toBe(3);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('alert rules: fire once, repeat only after the cooldown, resolve', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await stack({ channel: { auto_disable_failures: 0 } });
  });
  afterAll(async () => s?.close());
  beforeEach(async () => {
    // each scenario starts from a clean slate: no rules, no channels, no open alerts
    await s.deps.db.db.deleteFrom('alertRules').execute();
    await s.deps.db.db.deleteFrom('alertEvents').execute();
    await s.deps.db.db.deleteFrom('channels').execute();
    s.fake.resetBehaviour();
    s.fake.reset();
    s.hook.received.length = 0;
    s.clock.t += 3 * 3_600_000;
    await s.reload();
  });

  /** Evaluates twice (the second adds nothing), passes the cooldown (one repeat), then `clear`s it. */
  async function lifecycle(subject: string, clear: () => Promise<void>, cooldownMs = 300_000) {
    await s.evaluate();
    expect(s.notes()).toEqual([['fired', subject]]);
    await s.evaluate();
    s.clock.t += cooldownMs / 2;
    await s.evaluate();
    expect(s.notes()).toHaveLength(1);
    s.clock.t += cooldownMs / 2;
    await s.evaluate();
    expect(s.notes()).toEqual([
      ['fired', subject],
      ['repeat', subject],
    ]);
    await clear();
    await s.evaluate();
    expect(s.notes().at(-1)).toEqual(['resolved', subject]);
    await s.evaluate();
    expect(s.notes()).toHaveLength(3);
    const [event] = await alertHistory(s.deps, { limit: 10 });
    expect(event).toMatchObject({ subject, state: 'resolved' });
    expect(event!.resolvedAt).toBe(s.clock.t);
    expect(event!.deliveries.map((d) => [d.state, d.ok])).toEqual([
      ['fired', true],
      ['repeat', true],
      ['resolved', true],
    ]);
  }

  it('channel failure rate', async () => {
    // "bad" is tried first and answers 500; the relay fails over to "good"
    const bad = await channel(s, 'bad', { priority: 10, baseUrl: s.down.url });
    await channel(s, 'good');
    await s.rule('channel_failure_rate', { thresholdPct: 50, windowMinutes: 5, minRequests: 5 });
    for (let i = 0; i < 6; i++) expect(await s.chat('gpt-4o-mini')).toBe(200);
    await s.ship();
    await lifecycle(`channel:${bad.id}`, async () => {
      // the upstream of "bad" is fixed: it answers again
      s.clock.t += 6 * MIN;
      await s.deps.db.db
        .updateTable('channels')
        .set({ baseUrl: s.fake.url })
        .where('id', '=', bad.id)
        .execute();
      await s.reload();
      for (let i = 0; i < 6; i++) expect(await s.chat('gpt-4o-mini')).toBe(200);
      await s.ship();
    });
    const [event] = await alertHistory(s.deps, { limit: 1 });
    expect(event!.value).toBe('100%');
  });

  it('too few requests do not fire the failure-rate rule', async () => {
    await channel(s, 'bad');
    await s.rule('channel_failure_rate', { thresholdPct: 50, windowMinutes: 5, minRequests: 5 });
    s.fake.setBehaviour({ fault: { status: 500 } });
    for (let i = 0; i < 2; i++) await s.chat('gpt-4o-mini');
    await s.ship();
    await s.evaluate();
    expect(s.notes()).toEqual([]);
  });

  it('channel auto-disabled, then re-enabled by a passing test', async () => {
    const a = await channel(s, 'A');
    await s.rule('channel_auto_disabled');
    await setChannelStatus(s.deps, a.id, 'auto_disabled', '5 failures within 60s');
    await lifecycle(`channel:${a.id}`, async () => {
      const [r] = await runChannelTests(s.deps);
      expect(r).toMatchObject({ ok: true, reenabled: true });
    });
    expect((s.hook.received[0]!.json as { message: string }).message).toContain('5 failures within 60s');
  });

  it('no available channel for a model', async () => {
    const a = await channel(s, 'A', { models: ['gpt-4o-mini', 'model-x'] });
    await s.rule('no_channel');
    await s.evaluate();
    expect(s.notes()).toEqual([]);
    await setChannelStatus(s.deps, a.id, 'manual_disabled');
    await s.reload();
    // both models lose their only channel; follow one of them
    s.hook.received.length = 0;
    await s.evaluate();
    expect(
      s
        .notes()
        .map((n) => n[1])
        .sort(),
    ).toEqual(['model:gpt-4o-mini', 'model:model-x']);
    s.clock.t += 300_000;
    await s.evaluate();
    expect(s.notes().filter((n) => n[0] === 'repeat')).toHaveLength(2);
    await setChannelStatus(s.deps, a.id, 'enabled');
    await s.evaluate();
    expect(
      s
        .notes()
        .filter((n) => n[0] === 'resolved')
        .map((n) => n[1])
        .sort(),
    ).toEqual(['model:gpt-4o-mini', 'model:model-x']);
  });

  it('no available channel: requests that found no channel able to answer', async () => {
    await channel(s, 'A');
    await s.rule('no_channel', { windowMinutes: 5 });
    s.fake.setBehaviour({ fault: { status: 503 } });
    expect(await s.chat('gpt-4o-mini')).toBe(502);
    await s.ship();
    await lifecycle('model:gpt-4o-mini', async () => {
      s.fake.resetBehaviour();
      s.clock.t += 6 * MIN;
      expect(await s.chat('gpt-4o-mini')).toBe(200);
      await s.ship();
    });
  });

  it('upstream balance below the threshold', async () => {
    const a = await channel(s, 'A', { balanceThreshold: 1000 });
    await s.rule('channel_balance_low');
    await setChannelBalance(s.deps, a.id, 5000);
    await s.evaluate();
    expect(s.notes()).toEqual([]);
    await setChannelBalance(s.deps, a.id, 250);
    await lifecycle(`channel:${a.id}`, async () => {
      await setChannelBalance(s.deps, a.id, 2500);
    });
  });

  it('overall error rate', async () => {
    await channel(s, 'A');
    await s.rule('error_rate', { thresholdPct: 20, windowMinutes: 5, minRequests: 10 });
    for (let i = 0; i < 7; i++) expect(await s.chat('gpt-4o-mini')).toBe(200);
    s.fake.setBehaviour({ fault: { status: 500 } });
    for (let i = 0; i < 3; i++) expect(await s.chat('gpt-4o-mini')).toBe(502);
    await s.ship();
    await lifecycle('overall', async () => {
      s.fake.resetBehaviour();
      s.clock.t += 6 * MIN;
      for (let i = 0; i < 10; i++) expect(await s.chat('gpt-4o-mini')).toBe(200);
      await s.ship();
    });
  });

  it('per-key traffic spike (over k × its trailing average, with a floor)', async () => {
    await channel(s, 'A');
    await s.rule('key_traffic_spike', { factor: 4, floorRpm: 20, baselineMinutes: 10 });
    // a steady 3 requests a minute for 10 minutes, on both keys
    for (let m = 0; m < 10; m++) {
      for (let i = 0; i < 3; i++) {
        await s.chat('gpt-4o-mini');
        await s.chat('gpt-4o-mini', { key: s.key2 });
      }
      await s.ship();
      s.clock.t += MIN;
    }
    await s.evaluate();
    expect(s.notes()).toEqual([]);
    // key 2 jumps to 30 a minute: over the floor and over 4 × 3
    for (let i = 0; i < 30; i++) await s.chat('gpt-4o-mini', { key: s.key2 });
    await s.ship();
    const subject = `key:${s.token2.id}`;
    // the spike holds while the last minute stays hot: keep it hot across the cooldown
    await s.evaluate();
    expect(s.notes()).toEqual([['fired', subject]]);
    s.clock.t += 30_000;
    for (let i = 0; i < 30; i++) await s.chat('gpt-4o-mini', { key: s.key2 });
    await s.ship();
    await s.evaluate();
    expect(s.notes()).toHaveLength(1);
    s.clock.t += 45_000;
    for (let i = 0; i < 40; i++) await s.chat('gpt-4o-mini', { key: s.key2 });
    await s.ship();
    await s.evaluate();
    expect(s.notes()).toHaveLength(1);
    const rule = (await s.deps.db.db.selectFrom('alertRules').select('id').executeTakeFirstOrThrow()).id;
    await s.deps.db.db
      .updateTable('alertRules')
      .set({ cooldownSeconds: 60 })
      .where('id', '=', rule)
      .execute();
    await s.evaluate();
    expect(s.notes()).toEqual([
      ['fired', subject],
      ['repeat', subject],
    ]);
    // traffic back to normal: resolved
    s.clock.t += 2 * MIN;
    await s.chat('gpt-4o-mini', { key: s.key2 });
    await s.ship();
    await s.evaluate();
    expect(s.notes().at(-1)).toEqual(['resolved', subject]);
  });

  it('sensitive-word hits', async () => {
    await channel(s, 'A');
    await setSettings(s.deps, { sensitive_words: ['forbidden-thing'], sensitive_words_action: 'log' });
    await s.reload();
    await s.rule('sensitive_words', { windowMinutes: 10, minHits: 2 });
    expect(await s.chat('gpt-4o-mini', { content: 'tell me about the FORBIDDEN-THING' })).toBe(200);
    await s.ship();
    await s.evaluate();
    expect(s.notes()).toEqual([]);
    expect(await s.chat('gpt-4o-mini', { content: 'forbidden-thing again' })).toBe(200);
    expect(await s.chat('gpt-4o-mini', { content: 'a harmless prompt' })).toBe(200);
    await s.ship();
    const token1 = (
      await s.deps.db.db.selectFrom('tokens').select('id').where('name', '=', 'k1').executeTakeFirstOrThrow()
    ).id;
    await lifecycle(`key:${token1}`, async () => {
      s.clock.t += 11 * MIN;
    });
    await setSettings(s.deps, { sensitive_words: [] });
  });

  it('an unknown payment recorded by the payments module is forwarded once', async () => {
    await s.rule('payment_unknown');
    await s.deps.db.db
      .insertInto('alertEvents')
      .values({
        kind: 'payment_unknown',
        subject: 'ls:order:42',
        state: 'fired',
        value: 'order_created',
        message: 'not applied',
        firedAt: s.clock.t,
      })
      .execute();
    await s.evaluate();
    await s.evaluate();
    expect(s.notes()).toEqual([['fired', 'ls:order:42']]);
  });

  it('notifications are signed, and a failing receiver never blocks the evaluator (failures are recorded)', async () => {
    const a = await channel(s, 'A');
    await s.rule('channel_auto_disabled');
    await setChannelStatus(s.deps, a.id, 'auto_disabled');
    s.hook.failNext(500, 500);
    s.hook.delayMs = 300;
    try {
      const started = Date.now();
      expect(await s.engine.evaluate()).toMatchObject({ fired: 1 });
      expect(Date.now() - started).toBeLessThan(250);
      await s.engine.idle();
    } finally {
      s.hook.delayMs = 0;
    }
    const got = s.hook.received[0]!;
    expect(got.headers['x-tollgate-signature']).toBe(
      createHmac('sha256', 'hook-secret').update(got.raw).digest('hex'),
    );
    const [event] = await alertHistory(s.deps, { limit: 1 });
    expect(event!.deliveries).toEqual([
      expect.objectContaining({
        channelId: s.notifier.id,
        ok: false,
        attempts: 2,
        error: 'HTTP 500',
        state: 'fired',
      }),
    ]);
  });

  it('a rule that is off does not fire', async () => {
    const a = await channel(s, 'A');
    const rule = await s.rule('channel_auto_disabled');
    await s.deps.db.db.updateTable('alertRules').set({ enabled: 0 }).where('id', '=', rule.id).execute();
    await setChannelStatus(s.deps, a.id, 'auto_disabled');
    await s.evaluate();
    expect(s.notes()).toEqual([]);
  });
});
