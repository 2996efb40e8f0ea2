import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

/**
 * The whole path, twice: embedded default (SQLite, no Redis) and production mode (MariaDB + Redis).
 * Real site and relay processes, the official openai client, the fake upstream.
 */
describe.each(['embedded', 'production'] as const)('foundation end to end (%s)', (mode) => {
  let stack: Stack;
  let upstream: FakeUpstream;
  const upstreamKey = `sk-upstream-${mode}-secret-123456`;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    stack = await startStack(mode);
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('registers a user, admin adds a channel, the key calls the relay, disabling the channel is live', async () => {
    const email = `user-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
    const user = siteClient(stack.siteUrl);
    const reg = await user.auth.register.mutate({ email, password: 'correct horse battery' });
    expect(reg.role).toBe('user');
    expect((await user.auth.me.query())?.email).toBe(email);

    const admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate({ email: stack.admin.email, password: stack.admin.password });
    const channel = await admin.channels.create.mutate({
      name: 'fake',
      baseUrl: upstream.url,
      keys: [upstreamKey],
      models: ['gpt-4o-mini', 'alias-model'],
      modelMapping: { 'alias-model': 'gpt-4o' },
    });
    expect(channel.status).toBe('enabled');
    expect(JSON.stringify(await admin.channels.list.query())).not.toContain(upstreamKey);

    const { key } = await user.tokens.create.mutate({ name: 'first key' });
    expect(key).toMatch(/^sk-1[0-9A-Za-z]{44}$/);
    const listed = await user.tokens.list.query();
    expect(listed.map((t) => t.name)).toEqual(['first key']);

    const openai = new OpenAI({ apiKey: key, baseURL: `${stack.relayUrl}/v1`, maxRetries: 0 });
    // the channel reaches the relay through the snapshot bus; allow it up to a second
    const deadline = Date.now() + 1500;
    let completion: OpenAI.Chat.Completions.ChatCompletion | undefined;
    while (!completion) {
      try {
        completion = await openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hello' }],
        });
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(completion.choices[0]?.message.content).toContain('hello');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    const seen = upstream.requests.at(-1)!;
    expect(seen.authorization).toBe(`Bearer ${upstreamKey}`);
    expect(JSON.stringify(seen.headers)).not.toContain(key);

    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
    });
    let text = '';
    let chunks = 0;
    let usageChunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usageChunks++;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text.trim().length).toBeGreaterThan(0);
    // the relay asked the upstream for usage but strips the usage chunk the client did not ask for
    expect(
      (upstream.requests.at(-1)!.body as { stream_options?: { include_usage?: boolean } }).stream_options
        ?.include_usage,
    ).toBe(true);
    expect(usageChunks).toBe(0);

    const mapped = await openai.chat.completions.create({
      model: 'alias-model',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(mapped.choices.length).toBe(1);
    expect(upstream.requests.at(-1)!.model).toBe('gpt-4o');

    const models = await openai.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['alias-model', 'gpt-4o-mini']);

    await admin.channels.setStatus.mutate({ id: channel.id, status: 'manual_disabled' });
    const disabledAt = Date.now();
    let refused: unknown;
    while (!refused && Date.now() - disabledAt < 1000) {
      try {
        await openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        });
        await new Promise((r) => setTimeout(r, 25));
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    const apiErr = refused as InstanceType<typeof OpenAI.APIError>;
    expect([404, 503]).toContain(apiErr.status);
    expect(apiErr.code).toMatch(/model_not_found|no_available_channel/);
    expect(apiErr.message).not.toContain(upstreamKey);
    expect(stack.relay.child.exitCode).toBeNull();
  });

  it('rejects forged, unknown and missing keys with OpenAI-style 401s', async () => {
    for (const apiKey of [`sk-1${'A'.repeat(44)}`, 'sk-nonsense', 'x']) {
      const openai = new OpenAI({ apiKey, baseURL: `${stack.relayUrl}/v1`, maxRetries: 0 });
      const err = await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');
    }
    const res = await fetch(`${stack.relayUrl}/v1/models`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { type: string } };
    expect(body.error.type).toBe('authentication_error');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('a key reset stops the old key on the relay within a second', async () => {
    const user = siteClient(stack.siteUrl);
    await user.auth.register.mutate({
      email: `reset-${Date.now()}@example.com`,
      password: 'correct horse battery',
    });
    const { key, token } = await user.tokens.create.mutate({ name: 'rotating' });
    const call = (k: string) =>
      fetch(`${stack.relayUrl}/v1/models`, { headers: { authorization: `Bearer ${k}` } }).then(
        (r) => r.status,
      );
    const until = async (k: string, status: number) => {
      const start = Date.now();
      while (Date.now() - start < 1000) {
        if ((await call(k)) === status) return Date.now() - start;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`key did not reach status ${status} within 1 s`);
    };
    await until(key, 200);
    const { key: fresh } = await user.tokens.reset.mutate({ id: token.id });
    expect(fresh).not.toBe(key);
    await until(key, 401);
    await until(fresh, 200);
  });
});
