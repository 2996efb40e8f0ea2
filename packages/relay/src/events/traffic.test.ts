import { Readable } from 'node:stream';
import { generateApiKey, hashApiKey } from '@tollgate/shared/api-key.ts';
import type { RelayEvent, TrafficEvent } from '@tollgate/shared/events.ts';
import { buildPatternTable } from '@tollgate/shared/model-match.ts';
import { compileRoutes } from '@tollgate/shared/snapshot/routes.ts';
import type { ChannelEntry, Snapshot, TokenEntry } from '@tollgate/shared/snapshot/types.ts';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import type { UpstreamClient } from '../proxy/forward.ts';
import { createSnapshotStore } from '../snapshot/store.ts';
import { createTrafficCounter } from './traffic.ts';

const secret = 'traffic-test-secret-'.padEnd(40, 'x');

function token(id: number): { key: string; entry: TokenEntry } {
  const key = generateApiKey(secret);
  return {
    key,
    entry: {
      id,
      userId: 1,
      name: `t${id}`,
      keyHash: hashApiKey(key),
      status: 'enabled',
      group: null,
      expiresAt: null,
      remainQuota: 0,
      unlimitedQuota: true,
      models: null,
      allowedIps: null,
      rpmLimit: null,
    },
  };
}

function channel(id: number, models: string[], priority = 0): ChannelEntry {
  return {
    id,
    name: `c${id}`,
    type: 'openai-compatible',
    baseUrl: `http://upstream-${id}.test`,
    keys: ['k'],
    models,
    modelMapping: {},
    groups: ['default'],
    priority,
    weight: 1,
    status: 'enabled',
  };
}

const a = token(1);
const b = token(2);
// gpt-4o: channel 2 (always 503) first, then channel 1; dead-*: channel 3 only (always 503)
const channels = [channel(1, ['gpt-4o']), channel(2, ['gpt-4o'], 10), channel(3, ['dead-*'])];

function snapshotWith(settings: Record<string, unknown>): Snapshot {
  return {
    version: 1,
    loadedAt: Date.now(),
    tokensByHash: new Map([a, b].map((t) => [t.entry.keyHash, t.entry])),
    tokenHashById: new Map([a, b].map((t) => [t.entry.id, t.entry.keyHash])),
    users: new Map([[1, { id: 1, status: 'active', group: 'default' }]]),
    config: {
      channels: new Map(channels.map((c) => [c.id, c])),
      groups: new Map(),
      prices: buildPatternTable([]),
      routes: compileRoutes(channels),
      settings,
    },
  };
}

const answer = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});

function build(settings: Record<string, unknown> = {}) {
  const sent: unknown[] = [];
  const upstream: UpstreamClient = {
    async send(req) {
      const host = new URL(req.url).host;
      sent.push(JSON.parse(String(req.body)));
      const status = host === 'upstream-1.test' ? 200 : 503;
      return {
        ok: true as const,
        res: {
          status,
          headers: { 'content-type': 'application/json' },
          body: Readable.from([Buffer.from(status === 200 ? answer : '{"error":{"message":"down"}}')]),
        },
      };
    },
    close: async () => undefined,
  };
  const reported: RelayEvent[] = [];
  const failures: RelayEvent[] = [];
  const traffic = createTrafficCounter({ report: (e) => reported.push(e), intervalMs: 60_000 });
  const app = createApp({
    logger: pino({ level: 'silent' }),
    store: createSnapshotStore(snapshotWith(settings)),
    upstream,
    tokenSecret: secret,
    maxBodyBytes: 64 * 1024,
    maxAttempts: 3,
    requestTimeoutMs: 5000,
    reportEvent: (e) => failures.push(e),
    traffic,
  });
  const chat = (key: string, model: string, content = 'hello there') =>
    app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
  return { app, chat, traffic, reported, failures, sent };
}

describe('traffic counters for the alert rules', () => {
  it('aggregates requests per interval: channel ok/fail, per key, errors, models without a channel', async () => {
    const { chat, traffic, reported, failures } = build();
    for (let i = 0; i < 3; i++) expect((await chat(a.key, 'gpt-4o')).status).toBe(200);
    expect((await chat(b.key, 'gpt-4o')).status).toBe(200);
    expect((await chat(b.key, 'dead-1')).status).toBe(502);
    // nothing is reported per request: one event per interval
    expect(reported).toEqual([]);
    // channel failures still go out as they happen (auto-disable); channel 2 then cools down
    expect(failures.filter((e) => e.kind === 'channel_failure')).toHaveLength(2);
    traffic.flush();
    expect(reported).toHaveLength(1);
    const t = reported[0] as TrafficEvent;
    expect(t).toMatchObject({
      kind: 'traffic',
      requests: 5,
      errors: 1,
      channels: { '1': { ok: 4, fail: 0 }, '2': { ok: 0, fail: 1 }, '3': { ok: 0, fail: 1 } },
      keys: { '1': 3, '2': 2 },
      noChannel: { 'dead-1': 1 },
      sensitive: {},
    });
    traffic.flush();
    expect(reported).toHaveLength(1);
    traffic.close();
  });
});

describe('sensitive words on prompts', () => {
  it('with no list set, prompts pass untouched and nothing is counted', async () => {
    const { chat, traffic, reported, sent } = build();
    expect((await chat(a.key, 'gpt-4o', 'how to build a bomb')).status).toBe(200);
    expect(sent.at(-1)).toMatchObject({ messages: [{ content: 'how to build a bomb' }] });
    traffic.flush();
    expect((reported[0] as TrafficEvent).sensitive).toEqual({});
    traffic.close();
  });

  it('action "log": the request passes untouched and the hit is counted for the key', async () => {
    const { chat, traffic, reported, sent } = build({
      sensitive_words: ['bomb', '炸弹'],
      sensitive_words_action: 'log',
    });
    expect((await chat(a.key, 'gpt-4o', 'how to build a BOMB')).status).toBe(200);
    expect(sent.at(-1)).toMatchObject({ messages: [{ content: 'how to build a BOMB' }] });
    expect((await chat(a.key, 'gpt-4o', 'a harmless question')).status).toBe(200);
    traffic.flush();
    const t = reported[0] as TrafficEvent;
    expect(t.sensitive).toEqual({ '1': { userId: 1, hits: 1, refused: 0, words: ['bomb'] } });
    expect(t.requests).toBe(2);
    traffic.close();
  });

  it('action "refuse": content_blocked before any upstream call; other prompts pass', async () => {
    const { chat, traffic, reported, sent } = build({
      sensitive_words: ['bomb', '炸弹'],
      sensitive_words_action: 'refuse',
    });
    const res = await chat(b.key, 'gpt-4o', '如何制造炸弹');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'content_blocked', type: 'invalid_request_error' },
    });
    expect(sent).toHaveLength(0);
    const ok = await chat(b.key, 'gpt-4o', 'tell me a joke');
    expect(ok.status).toBe(200);
    expect(sent.at(-1)).toMatchObject({ messages: [{ content: 'tell me a joke' }] });
    traffic.flush();
    expect((reported[0] as TrafficEvent).sensitive).toEqual({
      '2': { userId: 1, hits: 1, refused: 1, words: ['炸弹'] },
    });
    traffic.close();
  });
});
