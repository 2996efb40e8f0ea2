import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

/** Every OpenAI endpoint through the official client, against a real relay process. */
describe('every endpoint through the openai client', () => {
  let stack: Stack;
  let upstream: FakeUpstream;
  let openai: OpenAI;
  let key: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    stack = await startStack('embedded');
    const admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    await admin.channels.create.mutate({
      name: 'fake',
      baseUrl: upstream.url,
      keys: ['sk-upstream-endpoints'],
      models: [
        'gpt-4o-mini',
        'text-embedding-3-small',
        'omni-moderation-latest',
        'gpt-image-1',
        'tts-1',
        'whisper-1',
        'gpt-3.5-turbo-instruct',
      ],
      modelMapping: { 'my-whisper': 'whisper-1' },
    });
    const user = siteClient(stack.siteUrl);
    await user.auth.register.mutate({ email: `ep-${Date.now()}@example.com`, password: 'endpoints-pass-1' });
    key = (await user.tokens.create.mutate({ name: 'k' })).key;
    openai = new OpenAI({ apiKey: key, baseURL: `${stack.relayUrl}/v1`, maxRetries: 0 });
    for (let i = 0; i < 40; i++) {
      if ((await fetch(`${stack.relayUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).ok)
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  const last = () => upstream.requests.at(-1)!;

  it('chat completions, plain and streamed with usage when asked', async () => {
    const r = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r.usage?.total_tokens).toBeGreaterThan(0);
    const s = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of s) usage = c.usage ?? usage;
    expect(usage?.completion_tokens).toBe(10);
  });

  it('legacy completions, plain and streamed', async () => {
    const r = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' });
    expect(r.choices[0]?.text.length).toBeGreaterThan(0);
    const s = await openai.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Say hi',
      stream: true,
    });
    let text = '';
    for await (const c of s) text += c.choices[0]?.text ?? '';
    expect(text.trim().length).toBeGreaterThan(0);
    expect(last().path).toBe('/v1/completions');
  });

  it('responses, plain and streamed', async () => {
    const r = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hello' });
    expect(r.output_text).toContain('hello');
    const s = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hello', stream: true });
    const types = new Set<string>();
    for await (const e of s) types.add(e.type);
    expect(types.has('response.output_text.delta')).toBe(true);
    expect(types.has('response.completed')).toBe(true);
    expect(last().path).toBe('/v1/responses');
  });

  it('embeddings (base64 by default in the client, and float)', async () => {
    const r = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(r.data).toHaveLength(2);
    expect(r.data[0]?.embedding.length).toBe(16);
    const f = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'a',
      encoding_format: 'float',
    });
    expect(typeof f.data[0]?.embedding[0]).toBe('number');
  });

  it('moderations', async () => {
    const r = await openai.moderations.create({
      model: 'omni-moderation-latest',
      input: 'this is fake-flagged text',
    });
    expect(r.results[0]?.flagged).toBe(true);
  });

  it('images', async () => {
    const r = await openai.images.generate({ model: 'gpt-image-1', prompt: 'a cat', n: 2 });
    expect(r.data).toHaveLength(2);
    expect(r.data?.[0]?.b64_json?.length).toBeGreaterThan(10);
  });

  it('audio speech streams bytes through', async () => {
    const r = await openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hello' });
    expect(r.headers.get('content-type')).toBe('audio/mpeg');
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1000);
  });

  it('audio transcription (multipart), with the model renamed by the channel mapping', async () => {
    const file = await toFile(Buffer.alloc(5000, 1), 'speech.mp3', { type: 'audio/mpeg' });
    const r = await openai.audio.transcriptions.create({ model: 'my-whisper', file });
    expect(typeof r.text).toBe('string');
    expect(last().path).toBe('/v1/audio/transcriptions');
    expect(last().model).toBe('whisper-1');
    const text = await openai.audio.transcriptions.create({
      model: 'whisper-1',
      file,
      response_format: 'text',
    });
    expect(typeof text).toBe('string');
  });

  it('models list and retrieve', async () => {
    const list = await openai.models.list();
    expect(list.data.map((m) => m.id)).toContain('gpt-4o-mini');
    expect((await openai.models.retrieve('gpt-4o-mini')).id).toBe('gpt-4o-mini');
    await expect(openai.models.retrieve('nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('unknown fields pass through to the upstream', async () => {
    await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      // @ts-expect-error a vendor extension the client does not know
      vendor_extension: { keep: true },
    });
    expect((last().body as { vendor_extension?: unknown }).vendor_extension).toEqual({ keep: true });
  });

  it('the Vercel AI SDK’s OpenAI-compatible provider works, streaming and not', async () => {
    const provider = createOpenAICompatible({
      name: 'tollgate',
      baseURL: `${stack.relayUrl}/v1`,
      apiKey: key,
      includeUsage: true,
    });
    const g = await generateText({ model: provider('gpt-4o-mini'), prompt: 'hello' });
    expect(g.text).toContain('hello');
    const s = streamText({ model: provider('gpt-4o-mini'), prompt: 'hello' });
    let text = '';
    for await (const t of s.textStream) text += t;
    expect(text).toContain('hello');
    expect((await s.usage).outputTokens).toBe(10);
  });

  it('bad input: each a clear error, the relay stays healthy', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${stack.relayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': type },
        body,
      });
    const cases: [Response, number, string][] = [
      [await post('{"model":'), 400, 'invalid_json'],
      [
        await post(`{"model":"gpt-4o-mini","pad":"${'x'.repeat(10 * 1024 * 1024)}"}`),
        413,
        'payload_too_large',
      ],
      [await post('{"messages":[]}'), 400, 'invalid_request'],
      [await post('{"model":"no-such-model","messages":[]}'), 404, 'model_not_found'],
      [await post('model=x', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type'],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect((await fetch(`${stack.relayUrl}/healthz`)).status).toBe(200);
  });
});
