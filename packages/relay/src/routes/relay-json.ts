import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { matchesAny } from '@tollgate/shared/model-match.ts';
import type { ChannelEntry } from '@tollgate/shared/snapshot/types.ts';
import type { Context } from 'hono';
import type { RelayEnv } from '../env.ts';
import { errorBody, RelayError } from '../errors.ts';
import { providerFor } from '../providers/registry.ts';
import { readBody, type UpstreamClient } from '../proxy/forward.ts';
import { clientHeaders, pipeSse, type StreamOutcome } from '../proxy/respond.ts';
import { routeTiers, selectChannel } from '../proxy/select-channel.ts';
import { type Usage, usageFrom } from '../proxy/usage-tap.ts';

export interface RelayJsonDeps {
  upstream: UpstreamClient;
  /** attempts across channels for one request */
  maxAttempts: number;
  /** total deadline for finding an upstream that answers (ms) */
  deadlineMs: number;
  /** called once per finished request (metering, logs, metrics) */
  onFinished?: (r: FinishedRequest) => void;
}

/** The facts a finished request leaves behind. */
export interface FinishedRequest {
  requestId: string;
  tokenId: number;
  userId: number;
  model: string;
  upstreamModel: string | undefined;
  channelId: number | undefined;
  triedChannels: number[];
  stream: boolean;
  status: number;
  errorCode: string | undefined;
  usage: Usage | undefined;
  latencyMs: number;
  ttftMs: number | undefined;
  clientAborted: boolean;
}

type Json = Record<string, unknown>;

async function readJson(c: Context<RelayEnv>): Promise<Json> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().includes('application/json')) throw new RelayError('unsupported_media_type');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await c.req.text());
  } catch (cause) {
    if (cause instanceof RelayError) throw cause;
    throw new RelayError('invalid_json', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RelayError('invalid_request', { message: 'The request body must be a JSON object.' });
  }
  return parsed as Json;
}

const retryableStatus = (s: number) => s === 429 || s >= 500 || s === 401 || s === 403;

/** Scrubs anything key-like from an upstream message before it reaches a client. */
function scrub(msg: string): string {
  return msg.replace(/(sk|key|api[_-]?key)[-_A-Za-z0-9*.]{6,}/gi, '[redacted]').slice(0, 500);
}

/**
 * Relays an OpenAI JSON endpoint (SPEC §4): authorise the model, pick a channel, map the model name,
 * forward, retry other channels on transport errors, 429 and 5xx until the first byte went out, and
 * stream or return the answer.
 */
export function relayJson(path: string, deps: RelayJsonDeps) {
  return async (c: Context<RelayEnv>) => {
    const auth = c.get('auth');
    const requestId = c.get('requestId');
    const body = await readJson(c);
    const model = body.model;
    if (typeof model !== 'string' || model.length === 0) {
      throw new RelayError('invalid_request', {
        message: 'you must provide a model parameter',
        param: 'model',
      });
    }
    if (auth.token.models && !matchesAny(auth.token.models, model))
      throw new RelayError('model_not_allowed', { param: 'model' });
    if (!routeTiers(auth.snapshot, auth.group, model))
      throw new RelayError('model_not_found', { param: 'model' });
    const stream = body.stream === true;
    const clientWantsUsage =
      (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const started = c.get('startedAt');
    const tried: number[] = [];
    const exclude = new Set<number>();
    const controller = new AbortController();
    const deadline = started + deps.deadlineMs;
    let lastError: RelayError = new RelayError('no_available_channel');

    const finish = (r: Partial<FinishedRequest> & { status: number }) =>
      deps.onFinished?.({
        requestId,
        tokenId: auth.token.id,
        userId: auth.user.id,
        model,
        upstreamModel: undefined,
        channelId: undefined,
        triedChannels: tried,
        stream,
        errorCode: undefined,
        usage: undefined,
        latencyMs: performance.now() - started,
        ttftMs: undefined,
        clientAborted: false,
        ...r,
      });

    for (let attempt = 0; attempt < deps.maxAttempts && performance.now() < deadline; attempt++) {
      const channel: ChannelEntry | undefined = selectChannel(auth.snapshot, {
        group: auth.group,
        model,
        exclude,
      });
      if (!channel) break;
      const adapter = providerFor(channel.type);
      exclude.add(channel.id);
      tried.push(channel.id);
      if (!adapter || channel.keys.length === 0) continue;
      const upstreamModel = channel.modelMapping[model] ?? model;
      const outBody: Json = { ...body, model: upstreamModel };
      if (stream)
        outBody.stream_options = { ...(body.stream_options as Json | undefined), include_usage: true };
      const apiKey = channel.keys[Math.floor(Math.random() * channel.keys.length)]!;
      const req = adapter.buildRequest({ channel, apiKey, path, body: JSON.stringify(outBody) });
      const result = await deps.upstream.send(req, controller.signal);
      if (!result.ok) {
        lastError = new RelayError(
          result.failure.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error',
          {
            cause: result.failure.cause,
          },
        );
        continue;
      }
      const res = result.res;
      if (res.status >= 400) {
        const text = await readBody(res.body).then(
          (b) => b.toString('utf8'),
          () => '',
        );
        if (retryableStatus(res.status)) {
          lastError = new RelayError('upstream_error');
          continue;
        }
        let message: string | undefined;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
        } catch {
          message = undefined;
        }
        const err = new RelayError('upstream_bad_request', {
          status: res.status === 404 ? 404 : 400,
          message: message ? scrub(message) : undefined,
        });
        finish({ status: err.status, errorCode: err.code, channelId: channel.id, upstreamModel });
        throw err;
      }
      const headers = clientHeaders(res.headers, requestId);
      const contentType = String(res.headers['content-type'] ?? '');
      if (stream && contentType.includes('text/event-stream')) {
        const outcome: StreamOutcome = await pipeSse(c.env.outgoing, res.status, headers, res.body, {
          stripUsageChunk: !clientWantsUsage,
          abort: () => controller.abort(),
          errorEvent: `data: ${errorBody(new RelayError('upstream_error', { message: 'The upstream stream was interrupted.' }))}\n\n`,
        });
        finish({
          status: outcome.completed ? res.status : outcome.clientAborted ? 499 : 502,
          errorCode: outcome.completed
            ? undefined
            : outcome.clientAborted
              ? 'client_aborted'
              : 'upstream_error',
          channelId: channel.id,
          upstreamModel,
          usage: outcome.usage,
          ttftMs: outcome.firstByteAt === undefined ? undefined : outcome.firstByteAt - started,
          clientAborted: outcome.clientAborted,
        });
        return RESPONSE_ALREADY_SENT;
      }
      let raw: Buffer;
      try {
        raw = await readBody(res.body);
      } catch (cause) {
        lastError = new RelayError('upstream_error', { cause });
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch (cause) {
        lastError = new RelayError('upstream_error', { cause });
        continue;
      }
      finish({ status: res.status, channelId: channel.id, upstreamModel, usage: usageFrom(parsed) });
      return new Response(new Uint8Array(raw), {
        status: res.status,
        headers: { ...headers, 'content-type': 'application/json' },
      });
    }
    finish({ status: lastError.status, errorCode: lastError.code });
    throw lastError;
  };
}
