import { Transform, type TransformCallback } from 'node:stream';

/** Token usage as OpenAI reports it. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

const DELIM = Buffer.from('\n\n');
const USAGE_MARK = Buffer.from('"usage":{');

/** Reads `usage` from an OpenAI JSON object (chat, completions, embeddings, responses). */
export function usageFrom(obj: unknown): Usage | undefined {
  const u = (obj as { usage?: Record<string, unknown> } | null)?.usage;
  if (!u || typeof u !== 'object') return undefined;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const details = (u.prompt_tokens_details ?? u.input_tokens_details) as
    | { cached_tokens?: unknown }
    | undefined;
  return {
    promptTokens: n(u.prompt_tokens ?? u.input_tokens),
    completionTokens: n(u.completion_tokens ?? u.output_tokens),
    cachedTokens: n(details?.cached_tokens),
  };
}

/**
 * Passes SSE bytes through event by event (an event is forwarded as soon as its blank line arrives;
 * nothing is re-buffered), reads the usage the upstream reports, and drops the usage-only chunk when
 * the client did not ask for it. Only events that contain `"usage":{` are parsed.
 */
export class SseUsageTap extends Transform {
  usage: Usage | undefined;
  events = 0;
  private tail: Buffer | undefined;
  private readonly stripUsageChunk: boolean;

  constructor(opts: { stripUsageChunk: boolean }) {
    super();
    this.stripUsageChunk = opts.stripUsageChunk;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const buf = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    const end = buf.lastIndexOf(DELIM);
    if (end < 0) {
      this.tail = buf;
      cb();
      return;
    }
    const complete = buf.subarray(0, end + 2);
    this.tail = end + 2 < buf.length ? buf.subarray(end + 2) : undefined;
    if (complete.indexOf(USAGE_MARK) < 0) {
      this.events++;
      this.push(complete);
      cb();
      return;
    }
    this.push(this.filterEvents(complete));
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.tail) this.push(this.tail);
    cb();
  }

  private filterEvents(block: Buffer): Buffer {
    const out: Buffer[] = [];
    let start = 0;
    while (start < block.length) {
      const idx = block.indexOf(DELIM, start);
      const stop = idx < 0 ? block.length : idx + 2;
      const event = block.subarray(start, stop);
      start = stop;
      this.events++;
      if (event.indexOf(USAGE_MARK) < 0) {
        out.push(event);
        continue;
      }
      const data = dataOf(event);
      let parsed: { choices?: unknown[] } | undefined;
      try {
        parsed = data ? JSON.parse(data) : undefined;
      } catch {
        parsed = undefined;
      }
      const usage = parsed
        ? (usageFrom(parsed) ?? usageFrom((parsed as { response?: unknown }).response))
        : undefined;
      if (usage) this.usage = usage;
      const usageOnly = Array.isArray(parsed?.choices) && parsed.choices.length === 0;
      if (!(this.stripUsageChunk && usageOnly)) out.push(event);
    }
    return Buffer.concat(out);
  }
}

function dataOf(event: Buffer): string | undefined {
  const lines = event.toString('utf8').split('\n');
  const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart());
  return data.length ? data.join('\n') : undefined;
}
