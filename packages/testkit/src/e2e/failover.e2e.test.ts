import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, type Fault, startFakeUpstream } from '../fake-upstream/server.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const waitUntil = async (cond: () => Promise<boolean>, ms: number, what: string) => {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Two channels for one model: A (priority 10) fails in every way, B (priority 0) answers. */
describe('failover across channels (real relay process)', () => {
  let stack: Stack;
  let a: FakeUpstream;
  let b: FakeUpstream;
  let admin: SiteClient;
  let openai: OpenAI;
  let channelA: number;

  beforeAll(async () => {
    [a, b] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
    stack = await startStack('embedded', {
      TOLLGATE_CHANNEL__COOLDOWN_SECONDS: '0',
      TOLLGATE_CHANNEL__AUTO_DISABLE_FAILURES: '0',
      TOLLGATE_RELAY_TIMEOUT: '800',
      TOLLGATE_CONNECT_TIMEOUT: '500',
    });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    channelA = (
      await admin.channels.create.mutate({
        name: 'A',
        baseUrl: a.url,
        keys: ['sk-a-key-000001'],
        models: ['gpt-4o-mini'],
        priority: 10,
      })
    ).id;
    await admin.channels.create.mutate({
      name: 'B',
      baseUrl: b.url,
      keys: ['sk-b-key-000002'],
      models: ['gpt-4o-mini'],
      priority: 0,
    });
    const user = siteClient(stack.siteUrl);
    await user.auth.register.mutate({
      email: `failover-${Date.now()}@example.com`,
      password: 'failover-pass-1',
    });
    const { key } = await user.tokens.create.mutate({ name: 'k' });
    openai = new OpenAI({ apiKey: key, baseURL: `${stack.relayUrl}/v1`, maxRetries: 0, timeout: 10_000 });
    await waitUntil(
      async () =>
        (await fetch(`${stack.relayUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } }))
          .status === 200,
      2000,
      'the key and channels reaching the relay',
    );
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });
  beforeEach(() => {
    a.reset();
    b.reset();
  });

  const faults: [string, Fault][] = [
    ['reset before headers', 'reset'],
    ['connection dropped', 'refuse'],
    ['500', { status: 500 }],
    ['502', { status: 502 }],
    ['503', { status: 503 }],
    ['429', { status: 429 }],
    ['hang (timeout)', 'hang'],
    ['malformed JSON', 'malformed-json'],
    ['401 for our upstream key', { status: 401 }],
  ];

  it.each(faults)('%s on A → the client gets B’s 200', async (_name, fault) => {
    a.queueFaults([fault]);
    const r = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r.choices[0]?.message.content).toContain('hello');
    expect(a.requests.length).toBe(1);
    expect(b.requests.length).toBe(1);
  });

  it('connection refused on A → B answers', async () => {
    await a.stopListening();
    try {
      const r = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(r.choices.length).toBe(1);
      expect(b.requests.length).toBe(1);
    } finally {
      await a.resumeListening();
    }
  });

  it('fails over a stream before its first byte', async () => {
    a.queueFaults([{ status: 503 }]);
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.trim().split(/\s+/).length).toBe(10);
    expect(b.served.at(-1)?.completed).toBe(true);
  });

  it('a reset mid-stream ends the client’s stream with an error event and is not retried', async () => {
    a.queueFaults(['reset-mid-stream']);
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let chunks = 0;
    const err = await (async () => {
      for await (const _ of stream) chunks++;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String((err as Error).message)).toContain('interrupted');
    expect(chunks).toBeGreaterThan(0);
    expect(b.requests.length).toBe(0);
  });

  it('a client-fault 400 from the upstream is returned as it is, scrubbed, and not retried', async () => {
    a.queueFaults([
      {
        status: 400,
        body: JSON.stringify({
          error: {
            message: 'max_tokens is too large; key sk-abcdef123456 used',
            type: 'invalid_request_error',
          },
        }),
      },
    ]);
    const err = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('max_tokens is too large');
    expect((err as Error).message).not.toContain('sk-abcdef123456');
    expect(b.requests.length).toBe(0);
  });

  it('all channels failing → one clean 502 envelope, never the upstream text', async () => {
    a.queueFaults([{ status: 500, body: '{"error":{"message":"internal: db at 10.0.0.3 down"}}' }]);
    b.queueFaults([{ status: 503 }]);
    const err = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(502);
    expect(e.code).toBe('upstream_error');
    expect(e.message).not.toContain('10.0.0.3');
    expect(stack.relay.child.exitCode).toBeNull();
  });

  it('a channel disabled by the admin is skipped', async () => {
    await admin.channels.setStatus.mutate({ id: channelA, status: 'manual_disabled' });
    await waitUntil(
      async () => {
        a.reset();
        await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
        return a.requests.length === 0;
      },
      2000,
      'channel A being skipped',
    );
    await admin.channels.setStatus.mutate({ id: channelA, status: 'enabled' });
  });
});

describe.each(['embedded', 'production'] as const)(
  'auto-disable after N failures (relay events → control plane, %s)',
  (mode) => {
    let stack: Stack;
    let a: FakeUpstream;
    let b: FakeUpstream;

    beforeAll(async () => {
      [a, b] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
      stack = await startStack(mode, {
        TOLLGATE_CHANNEL__COOLDOWN_SECONDS: '0',
        TOLLGATE_CHANNEL__AUTO_DISABLE_FAILURES: '3',
        TOLLGATE_CHANNEL__AUTO_DISABLE_WINDOW_SECONDS: '60',
      });
    });
    afterAll(async () => {
      await stack?.stop();
      await Promise.all([a?.close(), b?.close()]);
    });

    it('disables the failing channel in the database and the snapshot; users never notice', async () => {
      const admin = siteClient(stack.siteUrl);
      await admin.auth.login.mutate(stack.admin);
      const chA = await admin.channels.create.mutate({
        name: 'A',
        baseUrl: a.url,
        keys: ['sk-a-key-000001'],
        models: ['m'],
        priority: 10,
      });
      await admin.channels.create.mutate({
        name: 'B',
        baseUrl: b.url,
        keys: ['sk-b-key-000002'],
        models: ['m'],
      });
      const user = siteClient(stack.siteUrl);
      await user.auth.register.mutate({ email: `auto-${Date.now()}@example.com`, password: 'auto-pass-123' });
      const { key } = await user.tokens.create.mutate({ name: 'k' });
      const openai = new OpenAI({ apiKey: key, baseURL: `${stack.relayUrl}/v1`, maxRetries: 0 });
      await waitUntil(
        async () =>
          (await fetch(`${stack.relayUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).ok,
        2000,
        'key ready',
      );

      a.setBehaviour({ fault: { status: 500 } });
      for (let i = 0; i < 3; i++) {
        const r = await openai.chat.completions.create({ model: 'm', messages: [] });
        expect(r.choices.length).toBe(1);
      }
      expect(a.requests.length).toBe(3);
      await waitUntil(
        async () =>
          (await admin.channels.list.query()).find((c) => c.id === chA.id)?.status === 'auto_disabled',
        3000,
        'auto-disable',
      );
      const row = (await admin.channels.list.query()).find((c) => c.id === chA.id)!;
      expect(row.statusReason).toContain('failures');
      // the next requests no longer touch A
      await waitUntil(
        async () => {
          a.reset();
          await openai.chat.completions.create({ model: 'm', messages: [] });
          return a.requests.length === 0;
        },
        2000,
        'the relay skipping the auto-disabled channel',
      );
    });
  },
);
