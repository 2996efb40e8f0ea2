import { Readable } from 'node:stream';
import { generateApiKey, hashApiKey } from '@tollgate/shared/api-key.ts';
import { buildPatternTable } from '@tollgate/shared/model-match.ts';
import { compileRoutes } from '@tollgate/shared/snapshot/routes.ts';
import type { ChannelEntry, Snapshot, TokenEntry } from '@tollgate/shared/snapshot/types.ts';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp, type RelayDeps } from '../app.ts';
import { createCooldowns } from '../proxy/cooldown.ts';
import type { UpstreamClient } from '../proxy/forward.ts';
import type { FinishedRequest } from '../routes/relay-endpoint.ts';
import { createSnapshotStore } from '../snapshot/store.ts';
import { createRelayMetrics } from './metrics.ts';

const secret = 'metrics-test-secret-'.padEnd(40, 'x');
const key = generateApiKey(secret);
const tokenEntry: TokenEntry = {
  id: 1,
  userId: 1,
  name: 't1',
  keyHash: hashApiKey(key),
  status: 'enabled',
  group: null,
  expiresAt: null,
  remainQuota: 0,
  unlimitedQuota: true,
  models: null,
  allowedIps: null,
  rpmLimit: null,
};

function channel(id: number, over: Partial<ChannelEntry>): ChannelEntry {
  return {
    id,
    name: `c${id}`,
    type: 'openai-compatible',
    baseUrl: `http://upstream-${id}.test`,
    keys: ['upstream-key'],
    models: [],
    modelMapping: {},
    groups: ['default'],
    priority: 0,
    weight: 1,
    status: 'enabled',
    ...over,
  };
}

// gpt-4o: channel 2 (priority 10, always 503) first, then channel 1; claude-*: channel 3; bad-*: channel 4 (400s)
const channels = [
  channel(1, { models: ['gpt-4o'] }),
  channel(2, { models: ['gpt-4o'], priority: 10 }),
  channel(3, { models: ['claude-*'] }),
  channel(4, { models: ['bad-*'] }),
];

const snapshot: Snapshot = {
  version: 7,
  loadedAt: Date.now() - 5000,
  tokensByHash: new Map([[tokenEntry.keyHash, tokenEntry]]),
  tokenHashById: new Map([[tokenEntry.id, tokenEntry.keyHash]]),
  users: new Map([[1, { id: 1, status: 'active', group: 'default' }]]),
  config: {
    channels: new Map(channels.map((c) => [c.id, c])),
    groups: new Map(),
    prices: buildPatternTable([]),
    routes: compileRoutes(channels),
    settings: {},
  },
};

const answer = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});

/** Canned answers by upstream host: channel 2 is down, channel 4 refuses, the others answer. */
const upstream: UpstreamClient = {
  async send(req) {
    const host = new URL(req.url).host;
    const json = (status: number, body: string) => ({
      ok: true as const,
      res: {
        status,
        headers: { 'content-type': 'application/json' },
        body: Readable.from([Buffer.from(body)]),
      },
    });
    if (host === 'upstream-2.test') return json(503, '{"error":{"message":"overloaded"}}');
    if (host === 'upstream-4.test') return json(400, '{"error":{"message":"bad input"}}');
    return json(200, answer);
  },
  close: async () => undefined,
};

function build(over: Partial<RelayDeps> = {}) {
  const store = createSnapshotStore(snapshot);
  const cooldowns = createCooldowns(60_000);
  const metrics = createRelayMetrics({ store, cooldowns });
  const app = createApp({
    logger: pino({ level: 'silent' }),
    store,
    upstream,
    tokenSecret: secret,
    maxBodyBytes: 64 * 1024,
    maxAttempts: 3,
    requestTimeoutMs: 5000,
    cooldowns,
    metrics,
    ...over,
  });
  const chat = (model: string, auth: string | null = key) =>
    app.request('/v1/chat/completions', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
  return { app, chat, metrics };
}

/** Parses the Prometheus text format into `name{a="x",b="y"}` → value (labels sorted by name). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}="${v}"`)
      .sort();
    out.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}

/** `metric(samples, 'x_total', { a: '1' })`: the sample with exactly these labels, else undefined. */
function metric(samples: Map<string, number>, name: string, labels: Record<string, string> = {}) {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  return samples.get(`${name}{${l.join(',')}}`);
}

async function scrape(app: ReturnType<typeof build>['app'], auth?: string) {
  const res = await app.request('/metrics', auth ? { headers: { authorization: auth } } : {});
  return { res, samples: res.status === 200 ? parse(await res.text()) : new Map<string, number>() };
}

const p = 'tollgate_relay_';

describe('relay metrics', () => {
  it('counts answered, refused and failed-over requests with bounded labels', async () => {
    const { app, chat } = build();
    expect((await chat('gpt-4o')).status).toBe(200); // 503 on channel 2, then 200 on channel 1
    expect((await chat('gpt-4o', null)).status).toBe(401);
    expect((await chat('no-such-model')).status).toBe(404);
    expect((await chat('claude-3-random-suffix')).status).toBe(200);
    expect((await chat('bad-model')).status).toBe(400);
    expect((await app.request('/v1/models', { headers: { authorization: `Bearer ${key}` } })).status).toBe(
      200,
    );
    const nowhere = await app.request('/v1/nowhere', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(nowhere.status).toBe(404);

    const { res, samples } = await scrape(app);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const req = (endpoint: string, model: string, channel: string, status: string, code: string) =>
      metric(samples, `${p}requests_total`, { endpoint, model, channel, status, code });
    expect(req('/chat/completions', 'gpt-4o', '1', '200', 'ok')).toBe(1);
    expect(req('/chat/completions', 'other', 'none', '401', 'invalid_api_key')).toBe(1);
    expect(req('/chat/completions', 'other', 'none', '404', 'model_not_found')).toBe(1);
    // a wildcard route labels by its pattern, never by the client's free-form name
    expect(req('/chat/completions', 'claude-*', '3', '200', 'ok')).toBe(1);
    // reported by the endpoint, then thrown: counted once
    expect(req('/chat/completions', 'bad-*', '4', '400', 'upstream_bad_request')).toBe(1);
    expect(req('/models', 'other', 'none', '200', 'ok')).toBe(1);
    expect(req('other', 'other', 'none', '404', 'not_found')).toBe(1);
    const total = [...samples].filter(([k]) => k.startsWith(`${p}requests_total{`));
    expect(total.reduce((s, [, v]) => s + v, 0)).toBe(7);

    expect(metric(samples, `${p}retries_total`, { endpoint: '/chat/completions' })).toBe(1);
    expect(metric(samples, `${p}upstream_failures_total`, { channel: '2', reason: 'http_503' })).toBe(1);
    expect(metric(samples, `${p}cooldowns_active`)).toBe(1);

    const hist = (name: string, labels: Record<string, string>) =>
      metric(samples, `${p}${name}_count`, labels);
    expect(hist('upstream_latency_seconds', { endpoint: '/chat/completions', channel: '1' })).toBe(1);
    expect(hist('ttft_seconds', { endpoint: '/chat/completions', channel: '1' })).toBe(1);
    expect(hist('ttft_seconds', { endpoint: '/chat/completions', channel: '3' })).toBe(1);
    expect(hist('upstream_latency_seconds', { endpoint: '/chat/completions', channel: '4' })).toBe(1);
    expect(
      metric(samples, `${p}upstream_latency_seconds_bucket`, {
        endpoint: '/chat/completions',
        channel: '1',
        le: '120',
      }),
    ).toBe(1);
    // one first upstream call per request that reached the upstream phase: gpt-4o, claude, bad
    expect(metric(samples, `${p}overhead_seconds_count`)).toBe(3);
    expect(metric(samples, `${p}overhead_seconds_bucket`, { le: '0.0001' })).toBeDefined();
    expect(metric(samples, `${p}overhead_seconds_sum`)).toBeGreaterThan(0);

    expect(metric(samples, `${p}active_streams`)).toBe(0);
    expect(metric(samples, `${p}snapshot_version`)).toBe(7);
    expect(metric(samples, `${p}snapshot_age_seconds`)).toBeGreaterThanOrEqual(5);
    expect(metric(samples, `${p}process_cpu_user_seconds_total`)).toBeGreaterThan(0);
    expect(metric(samples, `${p}nodejs_eventloop_lag_seconds`)).toBeDefined();
  });

  it('still calls the owner hooks it shares with metrics', async () => {
    const finished: FinishedRequest[] = [];
    const events: string[] = [];
    const { chat } = build({
      onFinished: (r) => finished.push(r),
      reportEvent: (e) => events.push(e.kind === 'channel_failure' ? `${e.channelId}:${e.reason}` : e.kind),
    });
    await chat('gpt-4o');
    expect(finished.map((r) => [r.channelId, r.status])).toEqual([[1, 200]]);
    expect(events).toEqual(['2:status']);
  });

  it('reports the settlement backlog and the balance fallback read from the balance store at scrape time', async () => {
    let backlog = 0;
    let fallback = false;
    const metrics = createRelayMetrics({
      store: createSnapshotStore(),
      cooldowns: createCooldowns(1000),
      processMetrics: false,
      balances: { backlog: () => backlog, fallbackActive: () => fallback },
    });
    const read = async (name: string) =>
      (await metrics.registry.getSingleMetric(`${p}${name}`)?.get())?.values[0]?.value;
    expect(await read('settlement_backlog')).toBe(0);
    expect(await read('balance_fallback')).toBe(0);
    backlog = 1234;
    fallback = true;
    expect(await read('settlement_backlog')).toBe(1234);
    expect(await read('balance_fallback')).toBe(1);
  });

  it('keeps separate registries per app', async () => {
    const a = build();
    const b = build();
    await a.chat('gpt-4o');
    const { samples } = await scrape(b.app);
    expect([...samples.keys()].some((k) => k.startsWith(`${p}requests_total{`))).toBe(false);
  });

  it('requires the metrics token when one is set', async () => {
    const { app } = build({ metricsToken: 'scrape-secret' });
    const none = await app.request('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    expect((await scrape(app, 'Bearer wrong')).res.status).toBe(401);
    expect((await scrape(app, 'scrape-secret')).res.status).toBe(401);
    expect((await scrape(app, `Bearer ${key}`)).res.status).toBe(401);
    const ok = await scrape(app, 'Bearer scrape-secret');
    expect(ok.res.status).toBe(200);
    expect(metric(ok.samples, `${p}snapshot_version`)).toBe(7);
  });

  it('serves no /metrics without metrics', async () => {
    const { app } = build({ metrics: undefined });
    expect((await app.request('/metrics')).status).toBe(404);
  });
});
