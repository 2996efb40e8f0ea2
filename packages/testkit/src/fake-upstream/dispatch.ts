/** The request pipeline: read body, log, authenticate, route, resolve behaviour and faults, answer. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { behaviourFromModel, type FaultQueue, parseBehaviourHeader } from './behaviour.ts';
import { handleChat, handleCompletions } from './chat.ts';
import { handleEmbeddings, handleModel, handleModels, handleModerations } from './endpoints.ts';
import { handleImages, handleSpeech, handleTranscription, TINY_PNG } from './media.ts';
import { multipartBoundary, parseMultipart } from './multipart.ts';
import {
  applyFault,
  type Ctx,
  type ServerState,
  schedule,
  sendBytes,
  sendError,
  sendJson,
} from './respond.ts';
import { handleResponses } from './responses-api.ts';
import type { Behaviour, Fault } from './types.ts';

type Handler = (ctx: Ctx) => void;

const POST_ROUTES = new Map<string, Handler>([
  ['/v1/chat/completions', handleChat],
  ['/v1/completions', handleCompletions],
  ['/v1/responses', handleResponses],
  ['/v1/embeddings', handleEmbeddings],
  ['/v1/moderations', handleModerations],
  ['/v1/images/generations', handleImages],
  ['/v1/audio/speech', handleSpeech],
  ['/v1/audio/transcriptions', handleTranscription],
  ['/v1/audio/translations', handleTranscription],
]);

const MODELS_PREFIX = '/v1/models/';

function getRoute(path: string): Handler | undefined {
  if (path === '/v1/models') return handleModels;
  if (path.startsWith(MODELS_PREFIX) && path.length > MODELS_PREFIX.length) return handleModel;
  if (path === '/fake-assets/image.png') return (ctx) => sendBytes(ctx, 'image/png', TINY_PNG);
  if (path === '/healthz') return (ctx) => sendJson(ctx, 200, '{"ok":true}');
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const EMPTY_BODY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const noop = (): void => {};

interface ParsedBody {
  body: Record<string, unknown>;
  logged: unknown;
  error: string | undefined;
}

function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  if (raw.length === 0) return { body: EMPTY_BODY, logged: undefined, error: undefined };
  const boundary = multipartBoundary(contentType);
  if (boundary !== undefined) {
    const form = parseMultipart(raw, boundary);
    const body = { ...form.fields, ...form.files };
    return { body, logged: body, error: undefined };
  }
  try {
    const v: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return { body: v as Record<string, unknown>, logged: v, error: undefined };
    }
    return { body: EMPTY_BODY, logged: v, error: 'The request body must be a JSON object.' };
  } catch {
    return {
      body: EMPTY_BODY,
      logged: undefined,
      error:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
    };
  }
}

/** Builds the `request` listener of the node:http server. */
export function createRequestListener(
  state: ServerState,
  faults: FaultQueue,
  apiKey: string | undefined,
): (req: IncomingMessage, res: ServerResponse) => void {
  const expectedAuth = apiKey === undefined ? undefined : `Bearer ${apiKey}`;

  function handle(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): void {
    const seq = ++state.seq;
    const requestId = `req_${state.idPrefix}${seq.toString(36)}`;
    const method = req.method ?? 'GET';
    const headers = req.headers;
    const parsed = parseBody(raw, headers['content-type']);
    let model = typeof parsed.body.model === 'string' ? parsed.body.model : '';
    if (method === 'GET' && path.startsWith(MODELS_PREFIX))
      model = safeDecode(path.slice(MODELS_PREFIX.length));
    state.recorder.logRequest({
      requestId,
      method,
      path,
      headers,
      authorization: headers.authorization,
      model: model === '' ? undefined : model,
      body: parsed.logged,
      bodyBytes: raw.length,
      time: Date.now(),
    });

    let b: Behaviour = state.behaviour;
    let ctx: Ctx = {
      req,
      res,
      state,
      path,
      body: parsed.body,
      raw,
      requestId,
      seq,
      model,
      b,
      fault: undefined,
    };
    if (expectedAuth !== undefined && headers.authorization !== expectedAuth) {
      sendError(ctx, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
      return;
    }
    const handler = method === 'POST' ? POST_ROUTES.get(path) : method === 'GET' ? getRoute(path) : undefined;
    if (handler === undefined) {
      sendError(ctx, 404, `Invalid URL (${method} ${path})`, 'invalid_request_error', null);
      return;
    }
    if (parsed.error !== undefined) {
      sendError(ctx, 400, parsed.error, 'invalid_request_error', null);
      return;
    }

    const header = headers['x-fake-behaviour'];
    if (typeof header === 'string') {
      try {
        b = { ...b, ...parseBehaviourHeader(header) };
      } catch (e) {
        sendError(ctx, 400, `Fake upstream: ${(e as Error).message}`, 'invalid_request_error', null);
        return;
      }
    }
    if (model.startsWith('fake-')) {
      const fromModel = behaviourFromModel(model);
      if (fromModel !== undefined) b = { ...b, ...fromModel };
    }
    const queued = faults.size > 0 ? faults.take(path) : undefined;
    const fault: Fault | undefined = queued ?? b.fault;
    if (b !== state.behaviour || fault !== undefined) ctx = { ...ctx, b, fault };

    if (fault === 'refuse') {
      res.destroy();
      return;
    }
    const run = (): void => {
      if (res.destroyed) return;
      if (fault !== undefined && applyFault(ctx, fault)) return;
      try {
        handler(ctx);
      } catch (e) {
        if (!res.headersSent) sendError(ctx, 500, `Fake upstream bug: ${(e as Error).message}`);
        else res.destroy();
      }
    };
    schedule(state, b.latencyMs, run);
  }

  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const chunks: Buffer[] = [];
    req.on('error', noop);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      handle(req, res, path, raw);
    });
  };
}
