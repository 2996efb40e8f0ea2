import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream, WORDS } from './server.ts';

let fake: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = new OpenAI({ apiKey: 'sk-upstream-key', baseURL: `${fake.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.resetBehaviour();
});

const TEN_WORDS = WORDS.slice(0, 10).join('');

describe('fake upstream: other endpoints', () => {
  it('embeddings: floats, base64 (decoded by the client), dimensions, usage', async () => {
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['one', 'two'],
      encoding_format: 'float',
    });
    expect(floats.object).toBe('list');
    expect(floats.model).toBe('text-embedding-3-small');
    expect(floats.data.map((d) => d.index)).toEqual([0, 1]);
    expect(floats.data[0]?.embedding).toHaveLength(16);
    expect(floats.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    // Without encoding_format the client asks for base64 and decodes it: same vectors.
    const decoded = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['one', 'two'],
    });
    expect(fake.requests[1]?.body).toMatchObject({ encoding_format: 'base64' });
    expect(decoded.data[0]?.embedding).toEqual(floats.data[0]?.embedding);
    const raw = await client.embeddings.create({
      model: 'e',
      input: 'x',
      encoding_format: 'base64',
      dimensions: 8,
    });
    expect(Buffer.from(raw.data[0]!.embedding as unknown as string, 'base64')).toHaveLength(32);
  });

  it('models: list and retrieve', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toContain('gpt-4o-mini');
    const m = await client.models.retrieve('my-model');
    expect(m).toEqual({ id: 'my-model', object: 'model', created: 1_700_000_000, owned_by: 'fake-upstream' });
    expect(fake.requests.at(-1)?.model).toBe('my-model');
  });

  it('legacy completions: non-stream and stream with usage', async () => {
    const r = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'abcdefgh',
      max_tokens: 5,
    });
    expect(r.object).toBe('text_completion');
    expect(r.choices[0]?.text).toBe(WORDS.slice(0, 5).join(''));
    expect(r.usage).toEqual({ prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 });
    const stream = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'abcdefgh',
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      text += c.choices[0]?.text ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe(TEN_WORDS);
    expect(usage?.completion_tokens).toBe(10);
  });

  it('responses: non-stream object with usage and output_text', async () => {
    fake.setBehaviour({ cachedTokens: 2 });
    const r = await client.responses.create({
      model: 'gpt-4o',
      input: 'hello there friend',
      instructions: 'be',
    });
    expect(r.id).toMatch(/^resp_/);
    expect(r.object).toBe('response');
    expect(r.status).toBe('completed');
    expect(r.model).toBe('gpt-4o');
    expect(r.output_text).toBe(TEN_WORDS);
    expect(r.usage).toMatchObject({
      input_tokens: 5,
      output_tokens: 10,
      total_tokens: 15,
      input_tokens_details: { cached_tokens: 2 },
    });
  });

  it('responses: typed stream events accepted by the client stream helper', async () => {
    const stream = client.responses.stream({ model: 'gpt-4o', input: [{ role: 'user', content: 'abcd' }] });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(TEN_WORDS);
    expect(final.usage?.output_tokens).toBe(10);
    expect(types[0]).toBe('response.created');
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(10);
    expect(types.at(-1)).toBe('response.completed');
    expect(fake.served[0]).toMatchObject({
      stream: true,
      completed: true,
      chunksSent: 10,
      usageReported: true,
    });
  });

  it('responses: max_output_tokens gives an incomplete response', async () => {
    const r = await client.responses.create({ model: 'gpt-4o', input: 'hi', max_output_tokens: 3 });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details?.reason).toBe('max_output_tokens');
    expect(r.usage?.output_tokens).toBe(3);
  });

  it('images: b64_json by default, url on request', async () => {
    const b64 = await client.images.generate({ model: 'gpt-image-1', prompt: 'a cat', n: 2 });
    expect(b64.data).toHaveLength(2);
    expect(Buffer.from(b64.data![0]!.b64_json!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(b64.usage?.output_tokens).toBe(544);
    const byUrl = await client.images.generate({
      model: 'dall-e-3',
      prompt: 'a cat',
      response_format: 'url',
    });
    const png = await fetch(byUrl.data![0]!.url!);
    expect(png.headers.get('content-type')).toBe('image/png');
  });

  it('audio: speech bytes and multipart transcription', async () => {
    const speech = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hello' });
    expect(speech.headers.get('content-type')).toBe('audio/mpeg');
    expect((await speech.arrayBuffer()).byteLength).toBeGreaterThan(100);
    const file = await toFile(Buffer.alloc(3000, 1), 'clip.mp3', { type: 'audio/mpeg' });
    const t = await client.audio.transcriptions.create({ model: 'gpt-4o-transcribe', file });
    expect(t.text).toBe(TEN_WORDS.trimStart());
    const req = fake.requests.at(-1)!;
    expect(req.model).toBe('gpt-4o-transcribe');
    expect(req.body).toMatchObject({
      model: 'gpt-4o-transcribe',
      file: { filename: 'clip.mp3', size: 3000 },
    });
    expect(fake.served.at(-1)).toMatchObject({ promptTokens: 3, completionTokens: 10 });
  });

  it('moderations: one result per input, "fake-flagged" flags', async () => {
    const r = await client.moderations.create({
      model: 'omni-moderation-latest',
      input: ['fine', 'fake-flagged'],
    });
    expect(r.id).toMatch(/^modr-/);
    expect(r.results.map((x) => x.flagged)).toEqual([false, true]);
    expect(r.results[1]?.categories.harassment).toBe(true);
  });
});
