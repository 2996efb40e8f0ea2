/**
 * POST /v1/responses: a minimal but complete Responses API object, or the typed SSE event sequence
 * response.created, response.in_progress, response.output_item.added, response.content_part.added,
 * response.output_text.delta × N, response.output_text.done, response.content_part.done,
 * response.output_item.done, response.completed (response.incomplete when max_output_tokens cut it).
 */
import {
  chunkContentJson,
  chunkCount,
  chunkTokens,
  completionText,
  messagesChars,
  nowSeconds,
} from './content.ts';
import { type Generation, planGeneration, recordServed } from './generation.ts';
import { type Ctx, makeId, sendJson, sendSse } from './respond.ts';

function usageOf(g: Generation, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: g.promptTokens,
    input_tokens_details: { cached_tokens: g.cachedTokens ?? 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: g.promptTokens + outputTokens,
  };
}

function textPart(text: string): Record<string, unknown> {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function messageItem(msgId: string, status: string, text: string | undefined): Record<string, unknown> {
  return {
    id: msgId,
    type: 'message',
    status,
    content: text === undefined ? [] : [textPart(text)],
    role: 'assistant',
  };
}

interface ResponseShape {
  id: string;
  created: number;
  status: 'in_progress' | 'completed' | 'incomplete';
  output: Record<string, unknown>[];
  usage: Record<string, unknown> | null | undefined;
}

function responseObject(ctx: Ctx, r: ResponseShape): Record<string, unknown> {
  const body = ctx.body;
  return {
    id: r.id,
    object: 'response',
    created_at: r.created,
    status: r.status,
    background: false,
    error: null,
    incomplete_details: r.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    max_output_tokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null,
    model: ctx.model,
    output: r.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: body.store !== false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: r.usage,
    user: null,
    metadata: {},
  };
}

function event(type: string, seq: number, fields: string): string {
  return `event: ${type}\ndata: {"type":"${type}","sequence_number":${seq},${fields}}\n\n`;
}

/** POST /v1/responses. */
export function handleResponses(ctx: Ctx): void {
  const instructions = ctx.body.instructions;
  const chars = messagesChars(ctx.body.input) + (typeof instructions === 'string' ? instructions.length : 0);
  const g = planGeneration(ctx, chars, true);
  const id = makeId(ctx, 'resp_');
  const msgId = makeId(ctx, 'msg_');
  const created = nowSeconds();
  const finalStatus = g.finishReason === 'length' ? 'incomplete' : 'completed';
  const text = completionText(g.total);
  const usage = g.reportUsage ? usageOf(g, g.total) : undefined;
  const final = responseObject(ctx, {
    id,
    created,
    status: finalStatus,
    output: [messageItem(msgId, finalStatus, text)],
    usage,
  });

  if (!g.stream) {
    recordServed(ctx, g, sendJson(ctx, 200, JSON.stringify(final)));
    return;
  }

  const served = recordServed(ctx, g, false);
  const k = ctx.b.tokensPerChunk;
  const total = g.total;
  const count = chunkCount(total, k);
  const start = responseObject(ctx, { id, created, status: 'in_progress', output: [], usage: null });
  const startJson = JSON.stringify(start);
  const loc = `"item_id":"${msgId}","output_index":0,"content_index":0`;
  const head =
    event('response.created', 0, `"response":${startJson}`) +
    event('response.in_progress', 1, `"response":${startJson}`) +
    event(
      'response.output_item.added',
      2,
      `"output_index":0,"item":${JSON.stringify(messageItem(msgId, 'in_progress', undefined))}`,
    ) +
    event('response.content_part.added', 3, `${loc},"part":${JSON.stringify(textPart(''))}`);
  const after = 4 + count;
  const textJson = JSON.stringify(text);
  const tail =
    event('response.output_text.done', after, `${loc},"text":${textJson},"logprobs":[]`) +
    event('response.content_part.done', after + 1, `${loc},"part":${JSON.stringify(textPart(text))}`) +
    event(
      'response.output_item.done',
      after + 2,
      `"output_index":0,"item":${JSON.stringify(messageItem(msgId, finalStatus, text))}`,
    ) +
    event(`response.${finalStatus}`, after + 3, `"response":${JSON.stringify(final)}`);
  const errorSeq = 4 + Math.min(ctx.b.resetAfterChunks, count);
  sendSse(ctx, {
    served,
    head,
    count,
    chunk: (i) =>
      event(
        'response.output_text.delta',
        4 + i,
        `${loc},"delta":${chunkContentJson(i, k, total)},"logprobs":[]`,
      ),
    tokens: (i) => chunkTokens(i, k, total),
    tail,
    errorEvent: event(
      'error',
      errorSeq,
      '"code":"server_error","message":"The server had an error while processing your request. Sorry about that!","param":null',
    ),
  });
}
