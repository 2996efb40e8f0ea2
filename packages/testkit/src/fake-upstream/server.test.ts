import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream, WORDS } from './server.ts';

let fake: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream({ port: 0 });
  client = new OpenAI({ apiKey: 'sk-upstream-key', baseURL: `${fake.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.resetBehaviour();
});

const messages = [{ role: 'user' as const, content: 'hello there friend' }]; // 18 chars -> 5 tokens

describe('fake upstream: chat completions', () => {
  it('answers a non-stream chat completion shaped like OpenAI', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('gpt-4o-mini');
    expect(r.choices[0]?.message.role).toBe('assistant');
    expect(r.choices[0]?.message.content).toBe(WORDS.slice(0, 10).join(''));
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.usage).toEqual({ prompt_tokens: 5, completion_tokens: 10, total_tokens: 15 });
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('logs the request: method, path, lower-cased headers, authorization, model, body', async () => {
    await client.chat.completions.create({ model: 'gpt-4o', messages }, { headers: { 'X-Trace': 'abc' } });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.authorization).toBe('Bearer sk-upstream-key');
    expect(req.headers.authorization).toBe('Bearer sk-upstream-key');
    expect(req.headers['x-trace']).toBe('abc');
    expect(req.model).toBe('gpt-4o');
    expect(req.body).toMatchObject({ model: 'gpt-4o', messages });
    expect(req.bodyBytes).toBeGreaterThan(0);
    expect(fake.served[0]?.requestId).toBe(req.requestId);
  });

  it('streams without a usage chunk unless include_usage is asked', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => c.usage === undefined || c.usage === null)).toBe(true);
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(WORDS.slice(0, 10).join(''));
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(fake.served[0]).toMatchObject({
      stream: true,
      completed: true,
      chunksSent: 10,
      completionTokens: 10,
      usageReported: false,
    });
  });

  it('streams a final usage-only chunk with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 5, completion_tokens: 10, total_tokens: 15 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(10);
    expect(fake.served[0]?.usageReported).toBe(true);
  });

  it('caps completion tokens with max_tokens / max_completion_tokens', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 4 });
    expect(r.usage?.completion_tokens).toBe(4);
    expect(r.choices[0]?.message.content).toBe(WORDS.slice(0, 4).join(''));
    expect(r.choices[0]?.finish_reason).toBe('length');
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      max_completion_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    let contentChunks = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of stream) {
      if (c.choices[0]?.delta.content) contentChunks++;
      if (c.usage) usage = c.usage;
    }
    expect(contentChunks).toBe(3);
    expect(usage?.completion_tokens).toBe(3);
    expect(fake.served.map((s) => s.completionTokens)).toEqual([4, 3]);
  });

  it('honours chunks, tokensPerChunk, promptTokens and cachedTokens', async () => {
    fake.setBehaviour({ chunks: 4, tokensPerChunk: 3, promptTokens: 100, cachedTokens: 40 });
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(r.usage).toEqual({
      prompt_tokens: 100,
      completion_tokens: 12,
      total_tokens: 112,
      prompt_tokens_details: { cached_tokens: 40, audio_tokens: 0 },
    });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const deltas: string[] = [];
    for await (const c of stream) if (c.choices[0]?.delta.content) deltas.push(c.choices[0].delta.content);
    expect(deltas).toEqual([0, 1, 2, 3].map((i) => WORDS.slice(i * 3, i * 3 + 3).join('')));
    expect(fake.served[1]).toMatchObject({ chunksSent: 4, completionTokens: 12, cachedTokens: 40 });
  });

  it('includeUsageAlways sends usage unasked; omitUsage drops it everywhere', async () => {
    fake.setBehaviour({ includeUsageAlways: true });
    let usage: unknown;
    for await (const c of await client.chat.completions.create({ model: 'm', messages, stream: true })) {
      if (c.usage) usage = c.usage;
    }
    expect(usage).toMatchObject({ completion_tokens: 10 });
    fake.setBehaviour({ includeUsageAlways: false, omitUsage: true });
    const r = await client.chat.completions.create({ model: 'm', messages });
    expect(r.usage).toBeUndefined();
    let seen = false;
    const stream = await client.chat.completions.create({
      model: 'm',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const c of stream) if (c.usage) seen = true;
    expect(seen).toBe(false);
    expect(fake.served.map((s) => s.usageReported)).toEqual([true, false, false]);
  });

  it('takes per-request behaviour from the x-fake-behaviour header', async () => {
    const r = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages },
      { headers: { 'x-fake-behaviour': JSON.stringify({ chunks: 2, promptTokens: 7 }) } },
    );
    expect(r.usage).toEqual({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    await expect(
      client.chat.completions.create(
        { model: 'm', messages },
        { headers: { 'x-fake-behaviour': '{"chunkz":1}' } },
      ),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('takes behaviour from special model names', async () => {
    const r = await client.chat.completions.create({ model: 'fake-chunks-3', messages });
    expect(r.usage?.completion_tokens).toBe(3);
    expect(r.model).toBe('fake-chunks-3');
    const t0 = performance.now();
    await client.chat.completions.create({ model: 'fake-slow-150', messages });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('streams with chunkDelayMs between chunks', async () => {
    fake.setBehaviour({ chunks: 5, chunkDelayMs: 30 });
    const t0 = performance.now();
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    const times: number[] = [];
    for await (const c of stream) if (c.choices[0]?.delta.content) times.push(performance.now() - t0);
    expect(times).toHaveLength(5);
    expect(times[4]! - times[0]!).toBeGreaterThanOrEqual(100);
  });

  it('records served usage and totals exactly', async () => {
    fake.setBehaviour({ cachedTokens: 1 });
    await client.chat.completions.create({ model: 'a', messages });
    await client.chat.completions.create({ model: 'b', messages, max_tokens: 2 });
    for await (const _ of await client.chat.completions.create({ model: 'c', messages, stream: true })) {
      // drain
    }
    await client.embeddings.create({ model: 'e', input: 'abcdefgh' });
    expect(
      fake.served.map((s) => [s.model, s.promptTokens, s.completionTokens, s.stream, s.completed]),
    ).toEqual([
      ['a', 5, 10, false, true],
      ['b', 5, 2, false, true],
      ['c', 5, 10, true, true],
      ['e', 2, 0, false, true],
    ]);
    expect(fake.totals()).toEqual({
      requests: 4,
      promptTokens: 17,
      completionTokens: 22,
      totalTokens: 39,
      cachedTokens: 3,
    });
    fake.reset();
    expect(fake.requests).toHaveLength(0);
    expect(fake.served).toHaveLength(0);
    expect(fake.totals().totalTokens).toBe(0);
  });

  it('answers 404 for unknown routes and 400 for bad JSON, like OpenAI', async () => {
    const nf = await fetch(`${fake.url}/v1/nope`, { method: 'POST', body: '{}' });
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const bad = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(fake.requests.map((r) => r.body)).toEqual([{}, undefined]);
  });

  it('checks the api key when started with apiKey', async () => {
    const guarded = await startFakeUpstream({ apiKey: 'sk-right' });
    try {
      const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${guarded.url}/v1`, maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      const right = new OpenAI({ apiKey: 'sk-right', baseURL: `${guarded.url}/v1`, maxRetries: 0 });
      expect((await right.models.list()).data.length).toBeGreaterThan(0);
    } finally {
      await guarded.close();
    }
  });
});
