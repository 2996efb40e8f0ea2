import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Recorder } from './recorder.ts';
import type { Behaviour, Fault, ServedEntry, StatusFault } from './types.ts';

/** Mutable server-wide state shared by the handlers. */
export interface ServerState {
  behaviour: Behaviour;
  readonly recorder: Recorder;
  /** Pending latency / chunk timers, cleared on close. */
  readonly timers: Set<NodeJS.Timeout>;
  baseUrl: string;
  readonly modelsJson: string;
  /** Random per-server part of generated ids. */
  readonly idPrefix: string;
  /** Requests received so far (numbers the generated ids). */
  seq: number;
}

/** Everything a handler needs about one request. */
export interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly state: ServerState;
  readonly path: string;
  /** Parsed JSON body (or multipart text fields); `{}` when there is none. */
  readonly body: Record<string, unknown>;
  readonly raw: Buffer;
  readonly requestId: string;
  readonly seq: number;
  /** Requested model ('' when none). */
  readonly model: string;
  /** Effective behaviour of this request. */
  readonly b: Behaviour;
  /** Effective fault; only 'reset-mid-stream' / 'error-mid-stream' ever reach handlers. */
  readonly fault: Fault | undefined;
}

/** Runs `fn` after `ms` (synchronously when 0), tracking the timer so `close()` can clear it. */
export function schedule(state: ServerState, ms: number, fn: () => void): NodeJS.Timeout | undefined {
  if (ms <= 0) {
    fn();
    return undefined;
  }
  const t = setTimeout(() => {
    state.timers.delete(t);
    fn();
  }, ms);
  state.timers.add(t);
  return t;
}

/** Cancels a timer made by `schedule`. */
export function unschedule(state: ServerState, t: NodeJS.Timeout | undefined): void {
  if (t === undefined) return;
  clearTimeout(t);
  state.timers.delete(t);
}

/** A generated id like `chatcmpl-fk3x9a1b`. */
export function makeId(ctx: Ctx, prefix: string): string {
  return `${prefix}${ctx.state.idPrefix}${ctx.seq.toString(36)}`;
}

/**
 * Sends a JSON body. Honours 'reset-mid-stream' (headers + half the body, then the socket is destroyed)
 * and 'error-mid-stream' (a 500 instead). Returns true when the whole body was sent.
 */
export function sendJson(ctx: Ctx, status: number, json: string): boolean {
  const res = ctx.res;
  if (res.destroyed) return false;
  if (ctx.fault === 'error-mid-stream') {
    sendError(ctx, 500, 'The server had an error while processing your request. Sorry about that!');
    return false;
  }
  res.writeHead(status, [
    'content-type',
    'application/json',
    'content-length',
    String(Buffer.byteLength(json)),
    'x-request-id',
    ctx.requestId,
  ]);
  if (ctx.fault === 'reset-mid-stream') {
    res.write(json.slice(0, json.length >> 1), () => res.destroy());
    return false;
  }
  res.end(json);
  return true;
}

/** Sends bytes with the given content type. */
export function sendBytes(ctx: Ctx, contentType: string, bytes: Buffer | string): boolean {
  const res = ctx.res;
  if (res.destroyed) return false;
  const len = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  res.writeHead(200, [
    'content-type',
    contentType,
    'content-length',
    String(len),
    'x-request-id',
    ctx.requestId,
  ]);
  if (ctx.fault === 'reset-mid-stream') {
    res.write(bytes.slice(0, len >> 1), () => res.destroy());
    return false;
  }
  res.end(bytes);
  return true;
}

/** OpenAI-style error body. */
export function errorJson(
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** Sends an OpenAI-style error (type derived from the status unless given). */
export function sendError(
  ctx: Ctx,
  status: number,
  message: string,
  type = status < 500 ? 'invalid_request_error' : 'server_error',
  code: string | null = null,
): void {
  sendStatusFault(ctx, { status, body: errorJson(message, type, code) });
}

const DEFAULT_ERRORS: Record<number, [message: string, type: string, code: string | null]> = {
  400: ['Fake upstream: bad request.', 'invalid_request_error', null],
  401: ['Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'],
  403: ['You are not allowed to sample from this model.', 'invalid_request_error', null],
  404: [
    'The model does not exist or you do not have access to it.',
    'invalid_request_error',
    'model_not_found',
  ],
  429: ['Rate limit reached for requests. Please try again in 1s.', 'requests', 'rate_limit_exceeded'],
  500: ['The server had an error while processing your request. Sorry about that!', 'server_error', null],
  502: ['Bad gateway.', 'server_error', null],
  503: ['The engine is currently overloaded, please try again later.', 'server_error', null],
  504: ['Gateway timeout.', 'server_error', null],
};

/** Sends a status fault: its body or a generated OpenAI error, its headers (429 gets `retry-after: 1`). */
export function sendStatusFault(ctx: Ctx, fault: StatusFault): void {
  const res = ctx.res;
  if (res.destroyed) return;
  let body = fault.body;
  if (body === undefined) {
    const d = DEFAULT_ERRORS[fault.status];
    body = d
      ? errorJson(d[0], d[1], d[2])
      : errorJson(
          `Fake upstream error ${fault.status}.`,
          fault.status < 500 ? 'invalid_request_error' : 'server_error',
          null,
        );
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-request-id': ctx.requestId,
  };
  if (fault.status === 429) headers['retry-after'] = '1';
  if (fault.headers) for (const [k, v] of Object.entries(fault.headers)) headers[k.toLowerCase()] = v;
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(fault.status, headers);
  res.end(body);
}

const SSE_TYPE = 'text/event-stream; charset=utf-8';

/**
 * Handles the faults that do not depend on the endpoint. Returns false for 'none' and for the
 * mid-stream kinds, which the endpoint handlers implement.
 */
export function applyFault(ctx: Ctx, fault: Fault): boolean {
  const res = ctx.res;
  if (typeof fault === 'object') {
    sendStatusFault(ctx, fault);
    return true;
  }
  switch (fault) {
    case 'refuse':
      res.destroy();
      return true;
    case 'reset': {
      const socket = ctx.req.socket;
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
      return true;
    }
    case 'hang':
      return true;
    case 'malformed-json': {
      const body =
        '{"id":"chatcmpl-malformed","object":"chat.completion","choices":[{"index":0,"message":{"con';
      res.writeHead(200, ['content-type', 'application/json', 'content-length', String(body.length)]);
      res.end(body);
      return true;
    }
    case 'garbage-sse': {
      const good = `data: {"id":"chatcmpl-garbage","object":"chat.completion.chunk","created":0,"model":${JSON.stringify(ctx.model)},"choices":[{"index":0,"delta":{"role":"assistant","content":" hello"},"logprobs":null,"finish_reason":null}]}\n\n`;
      res.writeHead(200, ['content-type', SSE_TYPE, 'cache-control', 'no-cache']);
      res.end(
        `${good}data: {"choices":[{"delta":{"content":\n\nthis is not server-sent events\n\ndata: [DONE]\n\n`,
      );
      return true;
    }
    default:
      return false;
  }
}

/** A stream to send: head, `count` content chunks, then tail (or the mid-stream fault). */
export interface SsePlan {
  /** Logged usage entry updated as chunks go out (undefined: not recorded). */
  readonly served: ServedEntry | undefined;
  /** Events sent with the headers (may be ''). */
  readonly head: string;
  readonly count: number;
  /** The SSE text of content chunk i. */
  chunk(i: number): string;
  /** Completion tokens carried by chunk i. */
  tokens(i: number): number;
  /** Events after the last chunk (finish, usage, `[DONE]`). */
  readonly tail: string;
  /** What 'error-mid-stream' sends after `resetAfterChunks` chunks. */
  readonly errorEvent: string;
}

/** Sends an SSE stream according to the behaviour (delays, mid-stream faults) and updates `served`. */
export function sendSse(ctx: Ctx, plan: SsePlan): void {
  const { res, state, b, fault } = ctx;
  if (res.destroyed) return;
  res.writeHead(200, ['content-type', SSE_TYPE, 'cache-control', 'no-cache', 'x-request-id', ctx.requestId]);
  const cut = fault === 'reset-mid-stream' || fault === 'error-mid-stream';
  const n = cut ? Math.min(b.resetAfterChunks, plan.count) : plan.count;
  const rec = state.recorder;
  const served = plan.served;

  const finish = (last: string): void => {
    if (!cut) {
      if (served) served.completed = true;
      res.end(last + plan.tail);
      return;
    }
    if (served) served.usageReported = false;
    if (fault === 'error-mid-stream') res.end(last + plan.errorEvent);
    else if (last === '') res.destroy();
    else res.write(last, () => res.destroy());
  };

  if (b.chunkDelayMs <= 0) {
    let out = plan.head;
    for (let i = 0; i < n; i++) {
      out += plan.chunk(i);
      if (served) rec.addChunk(served, plan.tokens(i));
    }
    finish(out);
    return;
  }

  if (n === 0) {
    finish(plan.head);
    return;
  }
  if (plan.head !== '') res.write(plan.head);
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const onClose = (): void => unschedule(state, timer);
  res.once('close', onClose);
  const step = (): void => {
    timer = undefined;
    if (res.destroyed) return;
    const text = plan.chunk(i);
    if (served) rec.addChunk(served, plan.tokens(i));
    i++;
    if (i < n) {
      res.write(text);
      timer = schedule(state, b.chunkDelayMs, step);
    } else {
      res.off('close', onClose);
      finish(text);
    }
  };
  timer = schedule(state, b.chunkDelayMs, step);
}
