import { generateApiKey, hashApiKey } from '@tollgate/shared/api-key.ts';
import { buildPatternTable } from '@tollgate/shared/model-match.ts';
import { compileRoutes } from '@tollgate/shared/snapshot/routes.ts';
import type { ChannelEntry, Snapshot, TokenEntry } from '@tollgate/shared/snapshot/types.ts';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import type { UpstreamClient } from './proxy/forward.ts';
import { createSnapshotStore } from './snapshot/store.ts';

const secret = 'relay-test-secret-'.padEnd(40, 'x');
const now = Date.now();

function token(id: number, over: Partial<TokenEntry> = {}): { key: string; entry: TokenEntry } {
  const key = generateApiKey(secret);
  return {
    key,
    entry: {
      id,
      userId: over.userId ?? 1,
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
    },
  };
}

const channel: ChannelEntry = {
  id: 1,
  name: 'c',
  type: 'openai-compatible',
  baseUrl: 'http://127.0.0.1:9',
  keys: ['upstream'],
  models: ['gpt-4o'],
  modelMapping: {},
  groups: ['default'],
  priority: 0,
  weight: 1,
  status: 'enabled',
};

const ok = token(1);
const disabled = token(2, { status: 'disabled' });
const expired = token(3, { expiresAt: now - 1000 });
const restricted = token(4, { models: ['gpt-3*'] });
const ownerDisabled = token(5, { userId: 2 });
const foreignGroup = token(6, { group: 'gold' });
const tokens = [ok, disabled, expired, restricted, ownerDisabled, foreignGroup];

const snapshot: Snapshot = {
  version: 1,
  loadedAt: now,
  tokensByHash: new Map(tokens.map((t) => [t.entry.keyHash, t.entry])),
  tokenHashById: new Map(tokens.map((t) => [t.entry.id, t.entry.keyHash])),
  users: new Map([
    [1, { id: 1, status: 'active', group: 'default' }],
    [2, { id: 2, status: 'disabled', group: 'default' }],
  ]),
  config: {
    channels: new Map([[1, channel]]),
    groups: new Map(),
    prices: buildPatternTable([]),
    routes: compileRoutes([channel]),
    settings: {},
  },
};

const neverUpstream: UpstreamClient = {
  send: () => Promise.reject(new Error('the upstream must not be called in these tests')),
  close: async () => undefined,
};

const app = createApp({
  logger: pino({ level: 'silent' }),
  store: createSnapshotStore(snapshot),
  upstream: neverUpstream,
  tokenSecret: secret,
  maxBodyBytes: 64 * 1024,
  maxAttempts: 2,
  requestTimeoutMs: 5000,
});

async function call(path: string, init: RequestInit & { key?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('authorization', `Bearer ${init.key}`);
  const res = await app.request(path, { method: 'POST', ...init, headers });
  const body = (await res.json()) as {
    error?: { code: string; type: string; message: string; param: string | null };
  };
  return { status: res.status, body, res };
}

const json = (body: unknown) => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('relay app: refusals in the OpenAI error envelope', () => {
  it.each([
    ['no key', undefined, 401, 'invalid_api_key'],
    ['forged key', `sk-1${'A'.repeat(44)}`, 401, 'invalid_api_key'],
    ['unknown but well-signed key', generateApiKey(secret), 401, 'invalid_api_key'],
    [
      'key signed with another secret',
      generateApiKey('another-secret-'.padEnd(40, 'y')),
      401,
      'invalid_api_key',
    ],
    ['disabled key', disabled.key, 403, 'key_disabled'],
    ['expired key', expired.key, 403, 'key_expired'],
    ['disabled owner', ownerDisabled.key, 403, 'user_disabled'],
    ['model not allowed for the key', restricted.key, 403, 'model_not_allowed'],
    ['a group the owner may not use', foreignGroup.key, 403, 'group_not_allowed'],
  ])('%s → %i %s', async (_name, key, status, code) => {
    const r = await call('/v1/chat/completions', { key, ...json({ model: 'gpt-4o', messages: [] }) });
    expect(r.status).toBe(status);
    expect(r.body.error?.code).toBe(code);
    expect(r.res.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it.each([
    [
      'malformed JSON',
      { headers: { 'content-type': 'application/json' }, body: '{"model":' },
      400,
      'invalid_json',
    ],
    [
      'wrong content type',
      { headers: { 'content-type': 'text/plain' }, body: 'hi' },
      415,
      'unsupported_media_type',
    ],
    ['a JSON array', json([1, 2]), 400, 'invalid_request'],
    ['missing model', json({ messages: [] }), 400, 'invalid_request'],
    ['unknown model', json({ model: 'nope', messages: [] }), 404, 'model_not_found'],
    ['body over the limit', json({ model: 'gpt-4o', pad: 'x'.repeat(100 * 1024) }), 413, 'payload_too_large'],
  ])('%s → %i %s', async (_name, init, status, code) => {
    const r = await call('/v1/chat/completions', { key: ok.key, ...init });
    expect(r.status).toBe(status);
    expect(r.body.error?.code).toBe(code);
    expect(r.body.error?.type).toBeTypeOf('string');
  });

  it('lists the models the key may use, and 404s an unknown path', async () => {
    const res = await app.request('/v1/models', { headers: { 'x-api-key': ok.key } });
    expect(await res.json()).toEqual({
      object: 'list',
      data: [{ id: 'gpt-4o', object: 'model', created: 0, owned_by: 'tollgate' }],
    });
    const restrictedList = await app.request('/v1/models', { headers: { 'api-key': restricted.key } });
    expect(((await restrictedList.json()) as { data: unknown[] }).data).toEqual([]);
    expect(
      (await app.request('/v1/models/gpt-4o', { headers: { authorization: `Bearer ${ok.key}` } })).status,
    ).toBe(200);
    expect(
      (await app.request('/v1/models/nope', { headers: { authorization: `Bearer ${ok.key}` } })).status,
    ).toBe(404);
    const r = await call('/v1/nothing', { key: ok.key, ...json({}) });
    expect(r.status).toBe(404);
    expect(r.body.error?.code).toBe('not_found');
  });

  it('health answers, readiness needs a snapshot', async () => {
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
    const empty = createApp({
      logger: pino({ level: 'silent' }),
      store: createSnapshotStore(),
      upstream: neverUpstream,
      tokenSecret: secret,
      maxBodyBytes: 1024,
      maxAttempts: 1,
      requestTimeoutMs: 1000,
    });
    expect((await empty.request('/readyz')).status).toBe(503);
    const r = await empty.request('/v1/models', { headers: { authorization: `Bearer ${ok.key}` } });
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('not_ready');
  });
});
