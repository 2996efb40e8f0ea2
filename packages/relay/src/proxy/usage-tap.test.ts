import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SseUsageTap } from './usage-tap.ts';

const event = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;
const chunk = (text: string) => event({ choices: [{ index: 0, delta: { content: text } }], usage: null });
const usageChunk = event({
  choices: [],
  usage: { prompt_tokens: 7, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 2 } },
});

async function run(parts: string[], strip: boolean) {
  const tap = new SseUsageTap({ stripUsageChunk: strip });
  const out: string[] = [];
  tap.on('data', (b: Buffer) => out.push(b.toString()));
  await new Promise<void>((resolve, reject) => {
    Readable.from(parts.map((p) => Buffer.from(p)))
      .pipe(tap)
      .on('end', resolve)
      .on('error', reject);
  });
  return { text: out.join(''), tap };
}

describe('SseUsageTap', () => {
  const stream = [chunk('a'), chunk('b'), usageChunk, 'data: [DONE]\n\n'];

  it('reads usage and strips the usage-only chunk when the client did not ask for it', async () => {
    const { text, tap } = await run(stream, true);
    expect(tap.usage).toEqual({ promptTokens: 7, completionTokens: 3, cachedTokens: 2 });
    expect(text).toBe(`${chunk('a') + chunk('b')}data: [DONE]\n\n`);
  });

  it('keeps the usage chunk when asked for', async () => {
    const { text } = await run(stream, false);
    expect(text).toBe(stream.join(''));
  });

  it('handles events split across arbitrary byte boundaries', async () => {
    const whole = stream.join('');
    const parts: string[] = [];
    for (let i = 0; i < whole.length; i += 7) parts.push(whole.slice(i, i + 7));
    const { text, tap } = await run(parts, true);
    expect(tap.usage?.completionTokens).toBe(3);
    expect(text).toBe(`${chunk('a') + chunk('b')}data: [DONE]\n\n`);
  });

  it('reads Responses API usage from response.completed', async () => {
    const completed = `event: response.completed\n${event({ type: 'response.completed', response: { usage: { input_tokens: 5, output_tokens: 9 } } })}`;
    const { tap, text } = await run([completed], true);
    expect(tap.usage).toEqual({ promptTokens: 5, completionTokens: 9, cachedTokens: 0 });
    expect(text).toBe(completed);
  });
});

describe('SseUsageTap counting streamed text', () => {
  it('counts completion tokens from deltas without usage, within 2% of the true count', async () => {
    const { countText } = await import('../metering/tokenizer.ts');
    const words = Array.from(
      { length: 500 },
      (_, i) => [' hello', ' world', ' the', ' quick', ' brown', ' fox'][i % 6]!,
    );
    const parts = words.map((w) => chunk(w));
    const tap = new SseUsageTap({ stripUsageChunk: true, countCompletion: countText });
    tap.resume();
    await new Promise<void>((resolve, reject) => {
      Readable.from(parts.map((p) => Buffer.from(p)))
        .pipe(tap)
        .on('end', resolve)
        .on('error', reject);
    });
    expect(tap.usage).toBeUndefined();
    expect(Math.abs(tap.countedCompletionTokens - 500) / 500).toBeLessThanOrEqual(0.02);
  });
});
