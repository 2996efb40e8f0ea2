import { estimateTokens, requestedCap } from './content.ts';
import type { Ctx } from './respond.ts';
import type { ServedEntry } from './types.ts';

/** Token arithmetic of one text generation request. */
export interface Generation {
  promptTokens: number;
  /** Cached prompt tokens as configured (undefined: not reported). */
  cachedTokens: number | undefined;
  /** Completion tokens of the whole answer: min(chunks × tokensPerChunk, requested cap). */
  total: number;
  finishReason: 'stop' | 'length';
  stream: boolean;
  /** `stream_options.include_usage` was true. */
  wantsUsage: boolean;
  /** Usage will be sent: non-stream, or asked for / forced, and never with `omitUsage`. */
  reportUsage: boolean;
}

/** Works out prompt / completion tokens for a request whose prompt text has `promptChars` characters. */
export function planGeneration(ctx: Ctx, promptChars: number, usageAlwaysInStream = false): Generation {
  const { b, body } = ctx;
  const natural = b.chunks * b.tokensPerChunk;
  const cap = requestedCap(body);
  const capped = cap !== undefined && cap < natural;
  const stream = body.stream === true;
  const so = body.stream_options;
  const wantsUsage =
    typeof so === 'object' && so !== null && (so as { include_usage?: unknown }).include_usage === true;
  return {
    promptTokens: b.promptTokens ?? estimateTokens(promptChars),
    cachedTokens: b.cachedTokens,
    total: capped ? cap : natural,
    finishReason: capped ? 'length' : 'stop',
    stream,
    wantsUsage,
    reportUsage: !b.omitUsage && (!stream || wantsUsage || b.includeUsageAlways || usageAlwaysInStream),
  };
}

/**
 * Records the served entry of a generation. Streams start with 0 completion tokens (chunks add to it);
 * a non-stream answer counts its whole completion when `complete`, nothing otherwise.
 */
export function recordServed(ctx: Ctx, g: Generation, complete: boolean): ServedEntry {
  const entry: ServedEntry = {
    requestId: ctx.requestId,
    path: ctx.path,
    model: ctx.model,
    promptTokens: g.promptTokens,
    completionTokens: !g.stream && complete ? g.total : 0,
    cachedTokens: g.cachedTokens ?? 0,
    stream: g.stream,
    completed: !g.stream && complete,
    chunksSent: 0,
    usageReported: g.reportUsage && (g.stream || complete),
    time: Date.now(),
  };
  ctx.state.recorder.beginServed(entry);
  return entry;
}

/** Records a served entry for a non-text endpoint (embeddings, audio, images, moderations). */
export function recordSimple(
  ctx: Ctx,
  promptTokens: number,
  completionTokens: number,
  complete: boolean,
  usageReported: boolean,
): void {
  ctx.state.recorder.beginServed({
    requestId: ctx.requestId,
    path: ctx.path,
    model: ctx.model,
    promptTokens,
    completionTokens: complete ? completionTokens : 0,
    cachedTokens: 0,
    stream: false,
    completed: complete,
    chunksSent: 0,
    usageReported: usageReported && complete,
    time: Date.now(),
  });
}
