/**
 * Deterministic generated content and token arithmetic.
 *
 * Completion text is a cycle of the 16 WORDS below. Each word carries a leading space and is exactly one
 * token in both o200k_base (gpt-4o family) and cl100k_base (gpt-4 / gpt-3.5), checked with gpt-tokenizer:
 * a completion of N words therefore tokenizes to N tokens, and the text starts with a space (" hello world
 * the quick ...") like a real streamed answer.
 */

/** The word cycle of generated completions (each is one token in o200k_base and cl100k_base). */
export const WORDS: readonly string[] = [
  ' hello',
  ' world',
  ' the',
  ' quick',
  ' brown',
  ' fox',
  ' jumps',
  ' over',
  ' lazy',
  ' dog',
  ' and',
  ' then',
  ' runs',
  ' back',
  ' home',
  ' again',
];

/** JSON string literals of WORDS (no escaping needed, precomputed for the stream hot path). */
const WORDS_JSON: readonly string[] = WORDS.map((w) => JSON.stringify(w));

const textCache = new Map<number, string>();
const textJsonCache = new Map<number, string>();

/** Concatenation of `tokens` words starting at word 0 (cached for small sizes). */
export function completionText(tokens: number): string {
  const cached = textCache.get(tokens);
  if (cached !== undefined) return cached;
  let s = '';
  for (let i = 0; i < tokens; i++) s += WORDS[i % WORDS.length];
  if (tokens <= 4096) textCache.set(tokens, s);
  return s;
}

/** JSON string literal of `completionText(tokens)` (cached for small sizes). */
export function completionTextJson(tokens: number): string {
  const cached = textJsonCache.get(tokens);
  if (cached !== undefined) return cached;
  const s = JSON.stringify(completionText(tokens));
  if (tokens <= 4096) textJsonCache.set(tokens, s);
  return s;
}

/** JSON string literal of the content of chunk `index` when chunks carry `perChunk` words out of `total`. */
export function chunkContentJson(index: number, perChunk: number, total: number): string {
  if (perChunk === 1) return WORDS_JSON[index % WORDS.length]!;
  const start = index * perChunk;
  const end = Math.min(total, start + perChunk);
  let s = '';
  for (let i = start; i < end; i++) s += WORDS[i % WORDS.length];
  return JSON.stringify(s);
}

/** Words (= tokens) carried by chunk `index`. */
export function chunkTokens(index: number, perChunk: number, total: number): number {
  return Math.min(perChunk, total - index * perChunk);
}

/** Number of chunks needed to carry `total` tokens. */
export function chunkCount(total: number, perChunk: number): number {
  return Math.ceil(total / perChunk);
}

/** ceil(chars / 4), at least 1: the prompt-token estimate used when `promptTokens` is not configured. */
export function estimateTokens(chars: number): number {
  return chars <= 4 ? 1 : Math.ceil(chars / 4);
}

/** Characters of text in a message `content` (string, or array of parts with `text`). */
export function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (typeof part === 'string') n += part.length;
    else if (typeof part === 'object' && part !== null) {
      const t = (part as { text?: unknown }).text;
      if (typeof t === 'string') n += t.length;
      else {
        const c = (part as { content?: unknown }).content;
        if (c !== undefined) n += contentChars(c);
      }
    }
  }
  return n;
}

/** Characters of text in an array of chat messages / Responses input items (or a plain string). */
export function messagesChars(messages: unknown): number {
  if (typeof messages === 'string') return messages.length;
  if (!Array.isArray(messages)) return 0;
  let n = 0;
  for (const m of messages) {
    if (typeof m === 'string') n += m.length;
    else if (typeof m === 'object' && m !== null) n += contentChars((m as { content?: unknown }).content);
  }
  return n;
}

/** Characters of a legacy `prompt` / embeddings `input`: strings count their length, token arrays their size. */
export function inputChars(input: unknown): number {
  if (typeof input === 'string') return input.length;
  if (!Array.isArray(input)) return 0;
  let n = 0;
  for (const x of input) {
    if (typeof x === 'string') n += x.length;
    else if (typeof x === 'number')
      n += 4; // one token id counts as one token
    else if (Array.isArray(x)) n += x.length * 4;
  }
  return n;
}

/** The requested completion-token cap (`max_completion_tokens`, `max_tokens` or `max_output_tokens`). */
export function requestedCap(body: Record<string, unknown>): number | undefined {
  const v = body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens;
  return typeof v === 'number' && v >= 0 ? Math.floor(v) : undefined;
}

/** Chat / legacy completions `usage` JSON (prompt_tokens_details only when cached tokens are configured). */
export function usageJson(prompt: number, completion: number, cached: number | undefined): string {
  const details =
    cached === undefined ? '' : `,"prompt_tokens_details":{"cached_tokens":${cached},"audio_tokens":0}`;
  return `{"prompt_tokens":${prompt},"completion_tokens":${completion},"total_tokens":${prompt + completion}${details}}`;
}

let lastModel = '';
let lastModelJson = '""';

/** JSON.stringify(model), memoized for the common case of one model hammered by a benchmark. */
export function modelJson(model: string): string {
  if (model !== lastModel) {
    lastModel = model;
    lastModelJson = JSON.stringify(model);
  }
  return lastModelJson;
}

/** Unix seconds (for `created`). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
