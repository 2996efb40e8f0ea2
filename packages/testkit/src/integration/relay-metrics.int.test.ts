import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '@tollgate/relay/app.ts';
import { createRelayMetrics } from '@tollgate/relay/metrics/metrics.ts';
import { createCooldowns } from '@tollgate/relay/proxy/cooldown.ts';
import { createUpstreamClient } from '@tollgate/relay/proxy/forward.ts';
import { createSnapshotStore } from '@tollgate/relay/snapshot/store.ts';
import { generateApiKey, hashApiKey } from '@tollgate/shared/api-key.ts';
import { buildPatternTable } from '@tollgate/shared/model-match.ts';
import { compileRoutes } from '@tollgate/shared/snapshot/routes.ts';
import type { ChannelEntry, Snapshot, TokenEntry } from '@tollgate/shared/snapshot/types.ts';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';

const secret = 'relay-metrics-secret-'.padEnd(40, 'x');
const key = generateApiKey(secret);
const p = 'tollgate_relay_';

function snapshotFor(upstreamUrl: string): Snapshot {
  const token: TokenEntry = {
    id: 1,
    userId: 1,
    name: 't',
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
  const channel: ChannelEntry = {
    id: 9,
    name: 'fake',
    type: 'openai-compatible',
    baseUrl: upstreamUrl,
    keys: ['sk-upstream'],
    models: ['gpt-4o-mini'],
    modelMapping: {},
    groups: ['default'],
    priority: 0,
    weight: 1,
    status: 'enabled',
  };
  return {
    version: 3,
    loadedAt: Date.now(),
    tokensByHash: new Map([[token.keyHash, token]]),
    tokenHashById: new Map([[token.id, token.keyHash]]),
    users: new Map([[1, { id: 1, status: 'active', group: 'default' }]]),
    config: {
      channels: new Map([[channel.id, channel]]),
      groups: new Map(),
      prices: buildPatternTable([]),
      routes: compileRoutes([channel]),
      settings: {},
    },
  };
}

/** Reads one sample of the Prometheus text (labels given in the order prom-client prints them). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('relay metrics over a real server (streams)', () => {
  let fake: FakeUpstream;
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    const store = createSnapshotStore(snapshotFor(fake.url));
    const cooldowns = createCooldowns(60_000);
    const upstream = createUpstreamClient({ connectTimeoutMs: 2000, timeoutMs: 10_000 });
    const app = createApp({
      logger: pino({ level: 'silent' }),
      store,
      upstream,
      tokenSecret: secret,
      maxBodyBytes: 1024 * 1024,
      maxAttempts: 1,
      requestTimeoutMs: 10_000,
      cooldowns,
      metrics: createRelayMetrics({ store, cooldowns, processMetrics: false }),
    });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as import('node:http').Server).closeAllConnections();
      });
      await upstream.close();
      await fake.close();
    };
  });
  afterAll(() => close());
  beforeEach(() => fake.resetBehaviour());

  const metrics = async () => (await fetch(`${base}/metrics`)).text();
  const streamChat = (signal?: AbortSignal) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      signal,
    });
  const until = async (cond: (text: string) => boolean) => {
    const start = Date.now();
    for (;;) {
      const text = await metrics();
      if (cond(text)) return text;
      if (Date.now() - start > 5000) throw new Error(`metrics condition not met:\n${text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const active = (text: string) => sample(text, `${p}active_streams`);
  const requests = (text: string, status: string, code: string) =>
    sample(
      text,
      `${p}requests_total{endpoint="/chat/completions",model="gpt-4o-mini",channel="9",status="${status}",code="${code}"}`,
    );

  it('counts a stream as active while it runs, then records its TTFT and latency', async () => {
    fake.setBehaviour({ chunks: 6, chunkDelayMs: 100 });
    const res = await streamChat();
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    expect(active(await metrics())).toBe(1);
    while (!(await reader.read()).done);
    const text = await until((t) => active(t) === 0 && requests(t, '200', 'ok') === 1);
    const series = '{endpoint="/chat/completions",channel="9"}';
    expect(sample(text, `${p}ttft_seconds_count${series}`)).toBe(1);
    expect(sample(text, `${p}upstream_latency_seconds_count${series}`)).toBe(1);
    // six chunks 100 ms apart: the whole stream lasts at least 0.5 s, and longer than its first byte
    const latency = sample(text, `${p}upstream_latency_seconds_sum${series}`)!;
    expect(latency).toBeGreaterThan(0.45);
    expect(sample(text, `${p}ttft_seconds_sum${series}`)).toBeLessThan(latency);
    expect(sample(text, `${p}overhead_seconds_count`)).toBe(1);
  });

  it('decrements the gauge when the client aborts mid-stream', async () => {
    fake.setBehaviour({ chunks: 50, chunkDelayMs: 100 });
    const abort = new AbortController();
    const res = await streamChat(abort.signal);
    const reader = res.body!.getReader();
    await reader.read();
    expect(active(await metrics())).toBe(1);
    abort.abort();
    await until((t) => active(t) === 0 && requests(t, '499', 'client_aborted') === 1);
  });

  it('decrements the gauge and counts the failure when the upstream breaks mid-stream', async () => {
    fake.setBehaviour({ chunks: 10, chunkDelayMs: 20, resetAfterChunks: 2 });
    fake.queueFaults(['reset-mid-stream']);
    const res = await streamChat();
    expect(res.status).toBe(200);
    await res.text().catch(() => '');
    const text = await until((t) => active(t) === 0 && requests(t, '502', 'upstream_error') === 1);
    expect(sample(text, `${p}upstream_failures_total{channel="9",reason="reset"}`)).toBe(1);
    expect(sample(text, `${p}cooldowns_active`)).toBe(1);
  });
});
