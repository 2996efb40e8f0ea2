/** POST /v1/embeddings, GET /v1/models, GET /v1/models/:id, POST /v1/moderations. */
import { estimateTokens, inputChars } from './content.ts';
import { recordSimple } from './generation.ts';
import { type Ctx, makeId, sendError, sendJson } from './respond.ts';

/** Model ids listed by GET /v1/models unless `models` is given at start. */
export const DEFAULT_MODELS: readonly string[] = [
  'gpt-4o-mini',
  'gpt-4o',
  'gpt-4.1-mini',
  'gpt-4.1',
  'o4-mini',
  'gpt-3.5-turbo-instruct',
  'text-embedding-3-small',
  'text-embedding-3-large',
  'gpt-image-1',
  'dall-e-3',
  'tts-1',
  'gpt-4o-mini-tts',
  'whisper-1',
  'gpt-4o-transcribe',
  'omni-moderation-latest',
];

const MODEL_CREATED = 1_700_000_000;

function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: MODEL_CREATED, owned_by: 'fake-upstream' };
}

/** The precomputed body of GET /v1/models. */
export function modelsListJson(models: readonly string[]): string {
  return JSON.stringify({ object: 'list', data: models.map(modelObject) });
}

/** GET /v1/models. */
export function handleModels(ctx: Ctx): void {
  sendJson(ctx, 200, ctx.state.modelsJson);
}

/** GET /v1/models/:id: any id exists (the id is echoed). */
export function handleModel(ctx: Ctx): void {
  sendJson(ctx, 200, JSON.stringify(modelObject(ctx.model)));
}

/** FNV-1a hash of a string, as a seed for deterministic vectors. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic unit-length float32 vector for `input`. */
export function embeddingVector(input: unknown, dims: number): Float32Array {
  const v = new Float32Array(dims);
  const seed = hash(typeof input === 'string' ? input : JSON.stringify(input));
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = Math.sin(seed + i * 12.9898) * 43758.5453;
    const y = x - Math.floor(x) - 0.5;
    v[i] = y;
    norm += y * y;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dims; i++) v[i] = v[i]! * scale;
  return v;
}

/** POST /v1/embeddings: float arrays, or base64 little-endian float32 when `encoding_format: "base64"`. */
export function handleEmbeddings(ctx: Ctx): void {
  const { body, b } = ctx;
  const input = body.input;
  let inputs: unknown[];
  if (typeof input === 'string') inputs = [input];
  else if (Array.isArray(input)) inputs = input.length > 0 && typeof input[0] === 'number' ? [input] : input;
  else inputs = [];
  if (inputs.length === 0) {
    sendError(ctx, 400, "'input' is a required property", 'invalid_request_error', null);
    return;
  }
  const dims =
    typeof body.dimensions === 'number' && body.dimensions > 0
      ? Math.floor(body.dimensions)
      : b.embeddingDimensions;
  const base64 = body.encoding_format === 'base64';
  const data = inputs.map((x, index) => {
    const v = embeddingVector(x, dims);
    const embedding = base64
      ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
      : Array.from(v);
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = b.promptTokens ?? estimateTokens(inputChars(inputs));
  const out: Record<string, unknown> = { object: 'list', data, model: ctx.model };
  if (!b.omitUsage) out.usage = { prompt_tokens: promptTokens, total_tokens: promptTokens };
  const ok = sendJson(ctx, 200, JSON.stringify(out));
  recordSimple(ctx, promptTokens, 0, ok, !b.omitUsage);
}

const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
];

function moderationResult(flagged: boolean): Record<string, unknown> {
  const categories: Record<string, boolean> = {};
  const scores: Record<string, number> = {};
  const applied: Record<string, string[]> = {};
  for (const c of MODERATION_CATEGORIES) {
    const hit = flagged && c === 'harassment';
    categories[c] = hit;
    scores[c] = hit ? 0.97 : 0.0001;
    applied[c] = ['text'];
  }
  return { flagged, categories, category_scores: scores, category_applied_input_types: applied };
}

/** POST /v1/moderations: one result per input; an input containing "fake-flagged" is flagged (harassment). */
export function handleModerations(ctx: Ctx): void {
  const input = ctx.body.input;
  const texts: string[] = [];
  if (typeof input === 'string') texts.push(input);
  else if (Array.isArray(input)) {
    if (input.every((x) => typeof x === 'string')) texts.push(...(input as string[]));
    else {
      // Multi-modal input: one result for the whole array.
      let joined = '';
      for (const x of input) {
        const t = typeof x === 'object' && x !== null ? (x as { text?: unknown }).text : undefined;
        if (typeof t === 'string') joined += t;
      }
      texts.push(joined);
    }
  }
  if (texts.length === 0) {
    sendError(ctx, 400, "'input' is a required property", 'invalid_request_error', null);
    return;
  }
  const results = texts.map((t) => moderationResult(t.includes('fake-flagged')));
  const model = ctx.model || 'omni-moderation-latest';
  const ok = sendJson(ctx, 200, JSON.stringify({ id: makeId(ctx, 'modr-'), model, results }));
  recordSimple(ctx, ctx.b.promptTokens ?? estimateTokens(inputChars(texts)), 0, ok, false);
}
