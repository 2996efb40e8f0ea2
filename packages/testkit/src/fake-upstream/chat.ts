/**
 * POST /v1/chat/completions and POST /v1/completions (legacy text completions).
 * Bodies are built by string concatenation from precomputed pieces: this is the benchmark hot path.
 */
import {
  chunkContentJson,
  chunkCount,
  chunkTokens,
  completionTextJson,
  inputChars,
  messagesChars,
  modelJson,
  nowSeconds,
  usageJson,
} from './content.ts';
import { planGeneration, recordServed } from './generation.ts';
import { type Ctx, makeId, sendJson, sendSse } from './respond.ts';

const STREAM_ERROR_EVENT =
  'data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n';
const DONE = 'data: [DONE]\n\n';

/** POST /v1/chat/completions: a `chat.completion` object, or `chat.completion.chunk` SSE events. */
export function handleChat(ctx: Ctx): void {
  const g = planGeneration(ctx, messagesChars(ctx.body.messages));
  const id = makeId(ctx, 'chatcmpl-');
  const created = nowSeconds();
  const model = modelJson(ctx.model);

  if (!g.stream) {
    const usage = g.reportUsage ? `,"usage":${usageJson(g.promptTokens, g.total, g.cachedTokens)}` : '';
    const json =
      `{"id":"${id}","object":"chat.completion","created":${created},"model":${model},` +
      `"choices":[{"index":0,"message":{"role":"assistant","content":${completionTextJson(g.total)},` +
      `"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"${g.finishReason}"}]${usage},` +
      `"service_tier":"default","system_fingerprint":"fp_fake"}`;
    recordServed(ctx, g, sendJson(ctx, 200, json));
    return;
  }

  const served = recordServed(ctx, g, false);
  const k = ctx.b.tokensPerChunk;
  const total = g.total;
  // OpenAI adds "usage":null to every chunk when include_usage was asked.
  const usageNull = g.wantsUsage && !ctx.b.omitUsage ? ',"usage":null' : '';
  const envelope = `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${model},"service_tier":"default","system_fingerprint":"fp_fake",`;
  const pre = `data: ${envelope}"choices":[{"index":0,"delta":`;
  const post = `,"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;
  const usageChunk = g.reportUsage
    ? `data: ${envelope}"choices":[],"usage":${usageJson(g.promptTokens, total, g.cachedTokens)}}\n\n`
    : '';
  sendSse(ctx, {
    served,
    head: `${pre}{"role":"assistant","content":"","refusal":null}${post}`,
    count: chunkCount(total, k),
    chunk: (i) => `${pre}{"content":${chunkContentJson(i, k, total)}}${post}`,
    tokens: (i) => chunkTokens(i, k, total),
    tail: `${pre}{},"logprobs":null,"finish_reason":"${g.finishReason}"}]${usageNull}}\n\n${usageChunk}${DONE}`,
    errorEvent: STREAM_ERROR_EVENT,
  });
}

/** POST /v1/completions: a `text_completion` object, or `text_completion` SSE events. */
export function handleCompletions(ctx: Ctx): void {
  const g = planGeneration(ctx, inputChars(ctx.body.prompt));
  const id = makeId(ctx, 'cmpl-');
  const created = nowSeconds();
  const model = modelJson(ctx.model);

  if (!g.stream) {
    const usage = g.reportUsage ? `,"usage":${usageJson(g.promptTokens, g.total, g.cachedTokens)}` : '';
    const json =
      `{"id":"${id}","object":"text_completion","created":${created},"model":${model},` +
      `"choices":[{"text":${completionTextJson(g.total)},"index":0,"logprobs":null,` +
      `"finish_reason":"${g.finishReason}"}]${usage},"system_fingerprint":"fp_fake"}`;
    recordServed(ctx, g, sendJson(ctx, 200, json));
    return;
  }

  const served = recordServed(ctx, g, false);
  const k = ctx.b.tokensPerChunk;
  const total = g.total;
  const usageNull = g.wantsUsage && !ctx.b.omitUsage ? ',"usage":null' : '';
  const envelope = `{"id":"${id}","object":"text_completion","created":${created},"model":${model},"system_fingerprint":"fp_fake",`;
  const pre = `data: ${envelope}"choices":[{"text":`;
  const usageChunk = g.reportUsage
    ? `data: ${envelope}"choices":[],"usage":${usageJson(g.promptTokens, total, g.cachedTokens)}}\n\n`
    : '';
  sendSse(ctx, {
    served,
    head: '',
    count: chunkCount(total, k),
    chunk: (i) =>
      `${pre}${chunkContentJson(i, k, total)},"index":0,"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`,
    tokens: (i) => chunkTokens(i, k, total),
    tail: `${pre}"","index":0,"logprobs":null,"finish_reason":"${g.finishReason}"}]${usageNull}}\n\n${usageChunk}${DONE}`,
    errorEvent: STREAM_ERROR_EVENT,
  });
}
