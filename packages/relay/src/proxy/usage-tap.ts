import { Transform, type TransformCallback } from 'node:stream';

/**
 * How far a stream may run: `allows(counted)` is asked after each block of events (synchronously; the
 * owner extends the hold in the background as the count approaches it). When it says no, `cutEvent` is
 * sent and the stream ends.
 */
export interface StreamBudget {
  allows(countedCompletionTokens: number): boolean;
  cutEvent: string;
}

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
  /** completion tokens counted from the streamed text (only with `countCompletion`) */
  countedCompletionTokens = 0;
  private tail: Buffer | undefined;
  private readonly stripUsageChunk: boolean;
  private readonly count: ((text: string) => number) | undefined;
  private readonly budget: StreamBudget | undefined;
  /** the stream was cut because the budget refused more tokens */
  cut = false;

  /**
   * `countCompletion`: a tokenizer; when given, every event's text delta is counted as it passes (for
   * upstreams that send no usage), without keeping the text.
   */
  constructor(opts: {
    stripUsageChunk: boolean;
    countCompletion?: (text: string) => number;
    budget?: StreamBudget;
  }) {
    super();
    this.stripUsageChunk = opts.stripUsageChunk;
    this.count = opts.countCompletion;
    this.budget = opts.budget;
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
    if (this.cut) {
      cb();
      return;
    }
    const tokens = this.count ? this.countEvents(complete) : 0;
    // a block the budget refuses is not sent, and not billed
    if (this.budget && !this.budget.allows(this.countedCompletionTokens + tokens)) {
      this.cut = true;
      this.push(this.budget.cutEvent);
      this.push(null);
      this.emit('cut');
      cb();
      return;
    }
    this.countedCompletionTokens += tokens;
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

  private countEvents(block: Buffer): number {
    let n = 0;
    let start = 0;
    while (start < block.length) {
      const idx = block.indexOf(DELIM, start);
      const stop = idx < 0 ? block.length : idx + 2;
      const data = dataOf(block.subarray(start, stop));
      start = stop;
      if (!data || data === '[DONE]') continue;
      try {
        const text = deltaText(JSON.parse(data));
        if (text) n += this.count!(text);
      } catch {
        // not JSON: nothing to count
      }
    }
    return n;
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

/** The generated text in one stream event: chat deltas (content, reasoning, tool arguments), legacy text, Responses deltas. */
export function deltaText(ev: unknown): string {
  const e = ev as { choices?: unknown[]; type?: unknown; delta?: unknown };
  if (typeof e?.type === 'string') {
    return (e.type === 'response.output_text.delta' || e.type === 'response.function_call_arguments.delta') &&
      typeof e.delta === 'string'
      ? e.delta
      : '';
  }
  if (!Array.isArray(e?.choices)) return '';
  let s = '';
  for (const c of e.choices as { text?: unknown; delta?: Record<string, unknown> }[]) {
    if (typeof c?.text === 'string') s += c.text;
    const d = c?.delta;
    if (!d) continue;
    if (typeof d.content === 'string') s += d.content;
    if (typeof d.reasoning_content === 'string') s += d.reasoning_content;
    if (Array.isArray(d.tool_calls)) {
      for (const t of d.tool_calls as { function?: { arguments?: unknown } }[]) {
        if (typeof t?.function?.arguments === 'string') s += t.function.arguments;
      }
    }
  }
  return s;
}
