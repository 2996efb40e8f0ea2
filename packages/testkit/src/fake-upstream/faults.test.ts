import OpenAI, { type APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from './server.ts';

let fake: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = new OpenAI({
    apiKey: 'sk-upstream-key',
    baseURL: `${fake.url}/v1`,
    maxRetries: 0,
    logLevel: 'off',
  });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.resetBehaviour();
});

const messages = [{ role: 'user' as const, content: 'hi' }];
const chat = (model = 'gpt-4o-mini') => client.chat.completions.create({ model, messages });

async function drain(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of stream) if (c.choices[0]?.delta.content) out.push(c.choices[0].delta.content);
  return out;
}

describe('fake upstream: faults', () => {
  it('status faults give OpenAI error bodies; 429 carries retry-after', async () => {
    fake.queueFaults([
      { status: 500 },
      { status: 429 },
      { status: 503, body: 'down', headers: { 'X-A': 'b' } },
    ]);
    const e500 = await chat().catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
    expect((e500 as APIError).type).toBe('server_error');
    const e429 = await chat().catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(OpenAI.RateLimitError);
    expect((e429 as APIError).headers?.get('retry-after')).toBe('1');
    expect((e429 as APIError).code).toBe('rate_limit_exceeded');
    const raw = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"m"}' });
    expect([raw.status, raw.headers.get('x-a'), await raw.text()]).toEqual([503, 'b', 'down']);
    expect(fake.pendingFaults()).toBe(0);
    expect((await chat()).choices).toHaveLength(1);
    expect(fake.served).toHaveLength(1);
  });

  it('queued faults are consumed in order and can be filtered by path', async () => {
    fake.queueFaults([{ fault: { status: 502 }, path: '/v1/embeddings' }, 'none', { status: 500 }]);
    await expect(chat()).resolves.toBeDefined(); // takes 'none'
    await expect(chat()).rejects.toMatchObject({ status: 500 });
    await expect(chat()).resolves.toBeDefined();
    await expect(client.embeddings.create({ model: 'e', input: 'x' })).rejects.toMatchObject({ status: 502 });
  });

  it('a fault in the behaviour applies to every request until cleared', async () => {
    fake.setBehaviour({ fault: { status: 504 } });
    await expect(chat()).rejects.toMatchObject({ status: 504 });
    await expect(chat()).rejects.toMatchObject({ status: 504 });
    fake.setBehaviour({ fault: undefined });
    await expect(chat()).resolves.toBeDefined();
  });

  it('reset and refuse drop the connection without an answer', async () => {
    fake.queueFaults(['reset', 'refuse']);
    await expect(chat()).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    await expect(chat()).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    await expect(chat('fake-reset')).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(fake.requests).toHaveLength(3);
    expect(fake.served).toHaveLength(0);
  });

  it('stopListening makes connections refused until resumeListening', async () => {
    await fake.stopListening();
    const err = await fetch(`${fake.url}/healthz`).catch((e: unknown) => e);
    expect((err as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    await fake.resumeListening();
    expect((await fetch(`${fake.url}/healthz`)).status).toBe(200);
  });

  it('reset-mid-stream sends headers and resetAfterChunks chunks, then cuts', async () => {
    fake.setBehaviour({ resetAfterChunks: 3 });
    fake.queueFaults(['reset-mid-stream']);
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    const got: string[] = [];
    const err = await (async () => {
      for await (const c of stream) if (c.choices[0]?.delta.content) got.push(c.choices[0].delta.content);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(got).toHaveLength(3);
    expect(fake.served[0]).toMatchObject({ completed: false, chunksSent: 3, completionTokens: 3 });
    // Non-stream: half a JSON body, then the socket dies.
    await expect(chat('fake-reset-mid-stream')).rejects.toBeInstanceOf(Error);
    expect(fake.served[1]).toMatchObject({ completed: false, completionTokens: 0 });
  });

  it('reset-mid-stream also cuts delayed streams', async () => {
    const stream = await client.chat.completions.create(
      { model: 'm', messages, stream: true },
      {
        headers: { 'x-fake-behaviour': '{"fault":"reset-mid-stream","resetAfterChunks":2,"chunkDelayMs":5}' },
      },
    );
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const c of stream) if (c.choices[0]?.delta.content) got.push(c.choices[0].delta.content);
      })(),
    ).rejects.toBeInstanceOf(Error);
    expect(got).toHaveLength(2);
  });

  it('error-mid-stream ends the stream with an OpenAI error event', async () => {
    const stream = await client.chat.completions.create({
      model: 'fake-error-mid-stream',
      messages,
      stream: true,
    });
    await expect(drain(stream)).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(fake.served[0]).toMatchObject({ completed: false, chunksSent: 3, usageReported: false });
  });

  it('hang never answers: the client times out, close() still returns', async () => {
    const local = await startFakeUpstream();
    const c = new OpenAI({ apiKey: 'k', baseURL: `${local.url}/v1`, maxRetries: 0, timeout: 200 });
    local.queueFaults(['hang']);
    await expect(c.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.APIConnectionTimeoutError,
    );
    // A request left hanging while the server closes.
    const pending = c.chat.completions
      .create({ model: 'fake-hang', messages }, { timeout: 60_000 })
      .catch((e) => e);
    await new Promise((r) => setTimeout(r, 50));
    await local.close();
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('malformed-json and garbage-sse make the client fail to parse', async () => {
    fake.queueFaults(['malformed-json']);
    await expect(chat()).rejects.toBeInstanceOf(Error);
    const stream = await client.chat.completions.create({
      model: 'fake-garbage-sse',
      messages,
      stream: true,
    });
    await expect(drain(stream)).rejects.toBeInstanceOf(Error);
  });

  it('model names: fake-fail-<status>', async () => {
    await expect(chat('fake-fail-503')).rejects.toMatchObject({ status: 503 });
    await expect(chat('fake-fail-429')).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('latencyMs delays the headers, also of faults', async () => {
    fake.setBehaviour({ latencyMs: 100 });
    fake.queueFaults([{ status: 500 }]);
    const t0 = performance.now();
    await expect(chat()).rejects.toMatchObject({ status: 500 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('a client abort mid-stream leaves an incomplete served entry', async () => {
    fake.setBehaviour({ chunks: 50, chunkDelayMs: 10 });
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    let n = 0;
    for await (const c of stream) {
      if (c.choices[0]?.delta.content && ++n === 3) break;
    }
    await new Promise((r) => setTimeout(r, 50));
    const s = fake.served[0]!;
    expect(s.completed).toBe(false);
    expect(s.chunksSent).toBeGreaterThanOrEqual(3);
    expect(s.chunksSent).toBeLessThan(50);
  });

  it('rejects invalid behaviour and faults early', () => {
    expect(() => fake.setBehaviour({ chunks: -1 })).toThrow();
    expect(() => fake.setBehaviour({ nope: 1 } as never)).toThrow(/unknown behaviour key/);
    expect(() => fake.queueFaults(['explode' as never])).toThrow(/unknown fault/);
  });
});
