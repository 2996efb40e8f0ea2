import { Readable } from 'node:stream';
import { generateApiKey, hashApiKey } from '@tollgate/shared/api-key.ts';
import { buildPatternTable } from '@tollgate/shared/model-match.ts';
import { compileRoutes } from '@tollgate/shared/snapshot/routes.ts';
import type { ChannelEntry, GroupEntry, Snapshot, TokenEntry } from '@tollgate/shared/snapshot/types.ts';
import type { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import type { RelayEnv } from '../env.ts';
import type { UpstreamClient } from '../proxy/forward.ts';
import { createSnapshotStore, type SnapshotStore } from '../snapshot/store.ts';
import type { RateLimits } from './rate-limit.ts';

/** Test support for the rate-limit suites (memory and Redis): an app over an in-memory snapshot. */

export const secret = 'rate-limit-test-secret-'.padEnd(40, 'x');
export const silent = pino({ level: 'silent' });

/** Each answer reports 30 prompt + 10 completion tokens. */
export const tokensPerAnswer = 40;

const baseGroups: GroupEntry[] = [
  { name: 'default', multiplierPpm: 1_000_000, rpmLimit: null, tpmLimit: null },
  { name: 'rpm3', multiplierPpm: 1_000_000, rpmLimit: 3, tpmLimit: null },
  { name: 'tpm100', multiplierPpm: 1_000_000, rpmLimit: null, tpmLimit: 100 },
];

const channel: ChannelEntry = {
  id: 1,
  name: 'c',
  type: 'openai-compatible',
  baseUrl: 'http://127.0.0.1:9',
  keys: ['upstream'],
  models: ['gpt-4o'],
  modelMapping: {},
  groups: baseGroups.map((g) => g.name),
  priority: 0,
  weight: 1,
  status: 'enabled',
};

const keyNames = ['free', 'key2a', 'key2b', 'key3', 'groupA', 'groupB', 'tpm'] as const;
export type KeyName = (typeof keyNames)[number];

function tokenEntry(id: number, key: string, over: Partial<TokenEntry>): TokenEntry {
  return {
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
    ...over,
  };
}

const limitsOf: Record<KeyName, Partial<TokenEntry>> = {
  free: {},
  key2a: { rpmLimit: 2 },
  key2b: { rpmLimit: 2 },
  key3: { rpmLimit: 3 },
  groupA: { userId: 2 },
  groupB: { userId: 2 },
  tpm: { userId: 3 },
};

function buildSnapshot(version: number, tokens: TokenEntry[], groups: GroupEntry[]): Snapshot {
  return {
    version,
    loadedAt: Date.now(),
    tokensByHash: new Map(tokens.map((t) => [t.keyHash, t])),
    tokenHashById: new Map(tokens.map((t) => [t.id, t.keyHash])),
    users: new Map([
      [1, { id: 1, status: 'active', group: 'default' }],
      [2, { id: 2, status: 'active', group: 'rpm3' }],
      [3, { id: 3, status: 'active', group: 'tpm100' }],
    ]),
    config: {
      channels: new Map([[1, channel]]),
      groups: new Map(groups.map((g) => [g.name, g])),
      prices: buildPatternTable([]),
      routes: compileRoutes([channel]),
      settings: {},
    },
  };
}

const completion = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 30, completion_tokens: 10, total_tokens: tokensPerAnswer },
});

const sse = [
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' } }] })}\n\n`,
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 30, completion_tokens: 10 } })}\n\n`,
  'data: [DONE]\n\n',
];

/** An upstream that answers every call at once (JSON, or SSE when the body asks to stream). */
export function fakeUpstream(): UpstreamClient & { calls: number } {
  const up = {
    calls: 0,
    async send(req: { body?: string | Buffer }) {
      up.calls++;
      const streaming = String(req.body ?? '').includes('"stream":true');
      return {
        ok: true as const,
        res: {
          status: 200,
          headers: { 'content-type': streaming ? 'text/event-stream' : 'application/json' },
          body: Readable.from(streaming ? sse.map((s) => Buffer.from(s)) : [Buffer.from(completion)]),
        },
      };
    },
    close: async () => undefined,
  };
  return up;
}

export interface LimitedApp {
  app: Hono<RelayEnv>;
  store: SnapshotStore;
  upstream: ReturnType<typeof fakeUpstream>;
  keys: Record<KeyName, string>;
  /** calls `/v1/chat/completions` with the named key (or a raw key, or none) */
  chat(key: KeyName | { raw?: string }): Promise<Response>;
  /** publishes a snapshot in which `name` has key RPM `rpmLimit` */
  setKeyRpm(name: KeyName, rpmLimit: number | null): void;
  /** publishes a snapshot in which group `name` has RPM `rpmLimit` */
  setGroupRpm(name: string, rpmLimit: number | null): void;
}

/** The relay app with `limits`, a fake upstream and one key per limit case. */
export function limitedApp(limits: RateLimits): LimitedApp {
  const keys = Object.fromEntries(keyNames.map((n) => [n, generateApiKey(secret)])) as Record<
    KeyName,
    string
  >;
  let tokens = keyNames.map((n, i) => tokenEntry(i + 1, keys[n], limitsOf[n]));
  let groups = baseGroups;
  let version = 1;
  const store = createSnapshotStore(buildSnapshot(version, tokens, groups));
  const upstream = fakeUpstream();
  const app = createApp({
    logger: silent,
    store,
    upstream,
    tokenSecret: secret,
    maxBodyBytes: 64 * 1024,
    maxAttempts: 1,
    requestTimeoutMs: 5000,
    limits,
  });
  return {
    app,
    store,
    upstream,
    keys,
    async chat(key) {
      const raw = typeof key === 'string' ? keys[key] : key.raw;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (raw) headers.authorization = `Bearer ${raw}`;
      return app.request('/v1/chat/completions', {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
      });
    },
    setKeyRpm(name, rpmLimit) {
      const i = keyNames.indexOf(name);
      tokens = tokens.map((t, j) => (j === i ? { ...t, rpmLimit } : t));
      store.replace(buildSnapshot(++version, tokens, groups));
    },
    setGroupRpm(name, rpmLimit) {
      groups = groups.map((g) => (g.name === name ? { ...g, rpmLimit } : g));
      store.replace(buildSnapshot(++version, tokens, groups));
    },
  };
}

/** Asserts a 429 in the OpenAI envelope with `Retry-After` and the `x-ratelimit-*-{unit}` headers. */
export async function expectRefused(res: Response, unit: 'requests' | 'tokens', limit: number) {
  expect(res.status).toBe(429);
  expect(await res.json()).toMatchObject({
    error: { type: 'rate_limit_error', code: 'rate_limited', param: null, message: expect.any(String) },
  });
  const retry = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retry)).toBe(true);
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(retry).toBeLessThanOrEqual(60);
  expect(res.headers.get(`x-ratelimit-limit-${unit}`)).toBe(String(limit));
  expect(res.headers.get(`x-ratelimit-remaining-${unit}`)).toBe('0');
  expect(res.headers.get(`x-ratelimit-reset-${unit}`)).toMatch(/^(\d+ms|\d+(\.\d+)?s|1m0s)$/);
  expect(res.headers.get('x-request-id')).toMatch(/^req_/);
}

/** Asserts a relayed answer, and returns its `x-ratelimit-remaining-{unit}`. */
export async function expectRelayed(res: Response, unit: 'requests' | 'tokens' = 'requests') {
  expect(res.status).toBe(200);
  expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
  return res.headers.get(`x-ratelimit-remaining-${unit}`);
}

export type MakeLimits = (o?: { globalRps?: number }) => RateLimits;

/**
 * The behaviour every backend must show; `make` builds limits on fresh counters each time. The global
 * window is lengthened to 60 s by `make` so counts never depend on how fast the test runs.
 */
export function rateLimitSuite(backend: string, make: MakeLimits): void {
  describe(`rate limits (${backend})`, () => {
    it('key RPM: N pass, N+1 is refused without reaching the upstream; keys do not share a bucket', async () => {
      const t = limitedApp(make());
      const first = await t.chat('key2a');
      expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
      expect(await expectRelayed(first)).toBe('1');
      expect(await expectRelayed(await t.chat('key2a'))).toBe('0');
      await expectRefused(await t.chat('key2a'), 'requests', 2);
      await expectRefused(await t.chat('key2a'), 'requests', 2);
      expect(t.upstream.calls).toBe(2);

      expect(await expectRelayed(await t.chat('key2b'))).toBe('1');
      expect(await expectRelayed(await t.chat('key2b'))).toBe('0');
      await expectRefused(await t.chat('key2b'), 'requests', 2);
      const free = await t.chat('free');
      await expectRelayed(free);
      expect(free.headers.get('x-ratelimit-limit-requests')).toBeNull();
      expect(t.upstream.calls).toBe(5);
    });

    it('group RPM: the keys of a group share one bucket', async () => {
      const t = limitedApp(make());
      expect(await expectRelayed(await t.chat('groupA'))).toBe('2');
      expect(await expectRelayed(await t.chat('groupB'))).toBe('1');
      expect(await expectRelayed(await t.chat('groupA'))).toBe('0');
      await expectRefused(await t.chat('groupB'), 'requests', 3);
      await expectRefused(await t.chat('groupA'), 'requests', 3);
      expect(t.upstream.calls).toBe(3);
    });

    it('group TPM: refused once the tokens used this minute reach the limit', async () => {
      const t = limitedApp(make());
      // 100 tokens per minute, 40 per answer: before each call 0, 40, 80 are used, then 120
      const first = await t.chat('tpm');
      expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('100');
      expect(await expectRelayed(first, 'tokens')).toBe('100');
      expect(await expectRelayed(await t.chat('tpm'), 'tokens')).toBe('60');
      expect(await expectRelayed(await t.chat('tpm'), 'tokens')).toBe('20');
      await expectRefused(await t.chat('tpm'), 'tokens', 100);
      expect(t.upstream.calls).toBe(3);
    });

    it('global RPS: counted before authentication, so even keyless requests get the 429', async () => {
      const t = limitedApp(make({ globalRps: 3 }));
      await expectRelayed(await t.chat('free'));
      expect((await t.chat({})).status).toBe(401);
      await expectRelayed(await t.chat('free'));
      await expectRefused(await t.chat('free'), 'requests', 3);
      await expectRefused(await t.chat({ raw: 'sk-not-a-key' }), 'requests', 3);
      expect(t.upstream.calls).toBe(2);
    });

    it('a limit changed in the snapshot applies to the next request', async () => {
      const t = limitedApp(make());
      await expectRelayed(await t.chat('key2a'));
      await expectRelayed(await t.chat('key2a'));
      await expectRefused(await t.chat('key2a'), 'requests', 2);
      t.setKeyRpm('key2a', 10);
      const res = await t.chat('key2a');
      await expectRelayed(res);
      expect(res.headers.get('x-ratelimit-limit-requests')).toBe('10');
      t.setKeyRpm('key2a', null);
      const unlimited = await t.chat('key2a');
      await expectRelayed(unlimited);
      expect(unlimited.headers.get('x-ratelimit-limit-requests')).toBeNull();
    });

    it('a request refused by its group does not use up its key’s own limit', async () => {
      const t = limitedApp(make());
      t.setKeyRpm('groupA', 4);
      for (let i = 0; i < 3; i++) await expectRelayed(await t.chat('groupA'));
      // group (3) refuses the 4th and 5th; the key (4) gets its point back each time
      await expectRefused(await t.chat('groupA'), 'requests', 3);
      await expectRefused(await t.chat('groupA'), 'requests', 3);
      t.setGroupRpm('rpm3', null);
      const res = await t.chat('groupA');
      expect(await expectRelayed(res)).toBe('0');
      expect(res.headers.get('x-ratelimit-limit-requests')).toBe('4');
    });
  });
}
