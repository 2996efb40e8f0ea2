import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { RelayEvent } from '@tollgate/shared/events.ts';
import { matchesAny } from '@tollgate/shared/model-match.ts';
import type { ChannelEntry, Snapshot } from '@tollgate/shared/snapshot/types.ts';
import type { Context } from 'hono';
import type { RelayEnv } from '../env.ts';
import { errorBody, RelayError } from '../errors.ts';
import type { Meter, MeterTicket } from '../metering/meter.ts';
import { completionTextOf, countText, requestedMaxTokens } from '../metering/tokenizer.ts';
import { providerFor } from '../providers/registry.ts';
import type { Cooldowns } from '../proxy/cooldown.ts';
import { type ForwardFailure, readBody, type UpstreamClient } from '../proxy/forward.ts';
import type { ScreenHit } from '../proxy/prompt-screen.ts';
import { outgoingBody, type RelayBody, readRelayBody } from '../proxy/request-body.ts';
import { clientHeaders, pipeBinary, pipeSse, type StreamOutcome } from '../proxy/respond.ts';
import { routeTiers, selectChannel } from '../proxy/select-channel.ts';
import { type StreamBudget, type Usage, usageFrom } from '../proxy/usage-tap.ts';

/** How one OpenAI endpoint is relayed. */
export interface EndpointSpec {
  /** path below /v1 */
  path: string;
  body: 'json' | 'multipart';
  /** may stream SSE when the body says `stream: true` */
  streams: boolean;
  /** ask the upstream for `stream_options.include_usage` on streams (chat, completions) */
  streamUsage: boolean;
  /** `json`: a 200 must be JSON (parsed for usage; anything else is an upstream failure); `any`: non-JSON passes through (audio, text transcripts) */
  answer: 'json' | 'any';
}

export interface RelayEndpointDeps {
  /** per channel: whether its last completed stream reported usage (learned, saves tokenizing) */
  usageSeen?: Map<number, boolean>;
  /** largest accepted request body (413 above) */
  maxBodyBytes: number;
  /** holds before the upstream call and settlement after it (SPEC §5); none → nothing is billed */
  meter?: Meter;
  upstream: UpstreamClient;
  cooldowns: Cooldowns;
  /** attempts across channels for one request (1 + retries) */
  maxAttempts: number;
  /** total deadline for finding an upstream that answers (ms) */
  deadlineMs: number;
  reportEvent?: (e: RelayEvent) => void;
  /** called once per finished request (metering, logs, metrics) */
  onFinished?: (r: FinishedRequest) => void;
  /** metrics probes on the hot path */
  observer?: RelayObserver;
  /** sensitive-word screen of prompts (SPEC §7); unset → prompts are not scanned */
  screen?: (snapshot: Snapshot, json: Record<string, unknown>) => ScreenHit | undefined;
  /** a prompt matched the screen (counted for the alert rules) */
  onSensitive?: (hit: SensitiveHit) => void;
}

/** A prompt that matched the sensitive-word list. */
export interface SensitiveHit {
  requestId: string;
  tokenId: number;
  userId: number;
  model: string;
  words: string[];
  refused: boolean;
}

/** Hot-path probes (metrics): each must be cheap and must not throw. */
export interface RelayObserver {
  /** right before an upstream call; `attempt` 0 is the first; `elapsedMs` since `startedAt` */
  upstreamCall(endpoint: string, attempt: number, elapsedMs: number): void;
  /** an SSE response to the client started */
  streamOpened(): void;
  /** that SSE response ended: completed, broken or aborted */
  streamClosed(): void;
}

/** The facts a finished request leaves behind. */
export interface FinishedRequest {
  requestId: string;
  endpoint: string;
  tokenId: number;
  userId: number;
  /** the effective group the request was authorised and limited under */
  group: string;
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
  /** completion tokens counted by the tokenizer when the upstream reported no usage */
  countedCompletionTokens?: number;
}

/** Upstream statuses worth another channel: rate limits, server errors, and our upstream key being refused. */
const retryableStatus = (s: number) => s === 429 || s >= 500 || s === 401 || s === 403;

/** The SSE event that ends a client's stream when the upstream breaks mid-stream (built once). */
const STREAM_INTERRUPTED = `data: ${errorBody(new RelayError('upstream_error', { message: 'The upstream stream was interrupted.' }))}\n\n`;

/** Removes anything key-like from an upstream message before it reaches a client. */
export function scrubUpstreamMessage(msg: string): string {
  return msg
    .replace(/\b(sk|pk|rk|key|api[_-]?key|bearer)[-_:= ]*[A-Za-z0-9*._-]{6,}/gi, '[redacted]')
    .replace(/https?:\/\/\S+/g, '[url]')
    .slice(0, 500);
}

function upstreamMessage(text: string): string | undefined {
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof m === 'string' ? scrubUpstreamMessage(m) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Relays one OpenAI endpoint (SPEC §4): authorise the model, pick a channel, map the model name,
 * forward, retry other channels on transport errors, 429 and 5xx until the first byte went out, and
 * stream or return the answer. Client-fault 4xx from the upstream are returned as they are, scrubbed.
 */
export function relayEndpoint(spec: EndpointSpec, deps: RelayEndpointDeps) {
  return async (c: Context<RelayEnv>) => {
    const auth = c.get('auth');
    const requestId = c.get('requestId');
    const started = c.get('startedAt');
    const body = await readRelayBody(c, spec.body, deps.maxBodyBytes);
    const { model } = body;
    if (auth.token.models && !matchesAny(auth.token.models, model))
      throw new RelayError('model_not_allowed', { param: 'model' });
    if (!routeTiers(auth.snapshot, auth.group, model))
      throw new RelayError('model_not_found', { param: 'model' });
    if (deps.screen && body.kind === 'json') {
      const hit = deps.screen(auth.snapshot, body.json);
      if (hit) {
        const refuse = hit.action === 'refuse';
        deps.onSensitive?.({
          requestId,
          tokenId: auth.token.id,
          userId: auth.user.id,
          model,
          words: hit.words,
          refused: refuse,
        });
        if (refuse) throw new RelayError('content_blocked');
      }
    }
    const stream = spec.streams && body.stream;
    // pre-consume: refuses here (insufficient balance/quota, no price) before any upstream call
    const ticket = await deps.meter?.begin(
      requestId,
      auth,
      spec.path,
      model,
      body.kind === 'json' ? body.json : undefined,
    );
    let channelCostPpm: number | undefined;
    const tried: number[] = [];
    const exclude = new Set<number>();
    const controller = new AbortController();
    const deadline = started + deps.deadlineMs;
    // created only when an attempt fails: an Error captures a stack trace, too dear for every request
    let lastError: RelayError | undefined;
    let sends = 0;

    const finish = (r: Partial<FinishedRequest> & { status: number }) => {
      c.set('finished', true);
      const done: FinishedRequest = {
        requestId,
        endpoint: spec.path,
        tokenId: auth.token.id,
        userId: auth.user.id,
        group: auth.group,
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
      };
      deps.onFinished?.(done);
      void ticket?.settle({
        requestId,
        ok: done.status < 400 && done.errorCode === undefined,
        status: done.status,
        errorCode: done.errorCode,
        usage: done.usage,
        countedCompletionTokens: done.countedCompletionTokens,
        clientAborted: done.clientAborted,
        stream,
        model,
        upstreamModel: done.upstreamModel,
        channelId: done.channelId,
        channelCostPpm,
        triedChannels: tried,
        latencyMs: done.latencyMs,
        ttftMs: done.ttftMs,
        ip: c.get('clientIp'),
      });
    };
    const failed = (
      channel: ChannelEntry,
      reason: ForwardFailure['kind'] | 'status' | 'malformed',
      status?: number,
    ) => {
      deps.cooldowns.fail(channel.id, model);
      deps.reportEvent?.({
        kind: 'channel_failure',
        channelId: channel.id,
        model,
        reason,
        status,
        at: Date.now(),
      });
    };
    const isCoolingDown = deps.cooldowns.isCoolingDown;

    for (let attempt = 0; attempt < deps.maxAttempts && performance.now() < deadline; attempt++) {
      const channel =
        selectChannel(auth.snapshot, { group: auth.group, model, exclude, isCoolingDown }) ??
        // every candidate is cooling down: try one anyway rather than refuse
        selectChannel(auth.snapshot, { group: auth.group, model, exclude });
      if (!channel) break;
      exclude.add(channel.id);
      tried.push(channel.id);
      const adapter = providerFor(channel.type);
      if (!adapter || channel.keys.length === 0) continue;
      const upstreamModel = channel.modelMapping[model] ?? model;
      channelCostPpm = channel.costMultiplierPpm ?? undefined;
      const out = await outgoingBody(body, upstreamModel, spec.streamUsage);
      const apiKey =
        channel.keys.length === 1
          ? channel.keys[0]!
          : channel.keys[Math.floor(Math.random() * channel.keys.length)]!;
      const req = adapter.buildRequest({
        channel,
        apiKey,
        path: spec.path,
        body: out.body,
        contentType: out.contentType,
      });
      deps.observer?.upstreamCall(spec.path, sends++, performance.now() - started);
      const result = await deps.upstream.send(
        req,
        controller.signal,
        Math.max(1, deadline - performance.now()),
      );
      if (!result.ok) {
        if (result.failure.kind === 'aborted') break;
        failed(channel, result.failure.kind);
        lastError = new RelayError(
          result.failure.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error',
          { cause: result.failure.cause },
        );
        continue;
      }
      const res = result.res;
      if (res.status >= 400) {
        const text = await readBody(res.body, 1024 * 1024).then(
          (b) => b.toString('utf8'),
          () => '',
        );
        if (retryableStatus(res.status)) {
          failed(channel, 'status', res.status);
          lastError = new RelayError('upstream_error');
          continue;
        }
        const err = new RelayError('upstream_bad_request', {
          status: res.status === 404 || res.status === 413 || res.status === 422 ? res.status : 400,
          message: upstreamMessage(text),
        });
        finish({ status: err.status, errorCode: err.code, channelId: channel.id, upstreamModel });
        throw err;
      }
      const headers = { ...clientHeaders(res.headers, requestId), ...c.get('rateLimitHeaders') };
      const contentType = String(res.headers['content-type'] ?? '');
      const outcomeOf = (o: StreamOutcome) => {
        if (o.completed || o.cut) deps.cooldowns.succeed(channel.id, model);
        if (o.completed && stream) deps.usageSeen?.set(channel.id, o.usage !== undefined);
        else if (!o.clientAborted) failed(channel, 'reset');
        finish({
          status: o.cut ? 402 : o.completed ? res.status : o.clientAborted ? 499 : 502,
          errorCode: o.cut
            ? 'insufficient_balance'
            : o.completed
              ? undefined
              : o.clientAborted
                ? 'client_aborted'
                : 'upstream_error',
          channelId: channel.id,
          upstreamModel,
          usage: o.usage,
          countedCompletionTokens: o.countedCompletionTokens,
          ttftMs: o.firstByteAt === undefined ? undefined : o.firstByteAt - started,
          clientAborted: o.clientAborted,
        });
        return RESPONSE_ALREADY_SENT;
      };
      if (stream && contentType.includes('text/event-stream')) {
        deps.observer?.streamOpened();
        try {
          return outcomeOf(
            await pipeSse(c.env.outgoing, res.status, headers, res.body, {
              stripUsageChunk: !body.clientWantsUsage,
              ...streamCounting(ticket, deps.usageSeen, channel.id, body),
              abort: () => controller.abort(),
              errorTail: STREAM_INTERRUPTED,
            }),
          );
        } finally {
          deps.observer?.streamClosed();
        }
      }
      if (spec.answer === 'any' && !contentType.includes('application/json')) {
        return outcomeOf(
          await pipeBinary(c.env.outgoing, res.status, headers, res.body, {
            abort: () => controller.abort(),
          }),
        );
      }
      let parsed: unknown;
      let raw: Buffer;
      try {
        raw = await readBody(res.body);
        parsed = JSON.parse(raw.toString('utf8'));
      } catch (cause) {
        failed(channel, 'malformed');
        lastError = new RelayError('upstream_error', { cause });
        continue;
      }
      deps.cooldowns.succeed(channel.id, model);
      const usage = usageFrom(parsed);
      finish({
        status: res.status,
        channelId: channel.id,
        upstreamModel,
        usage,
        countedCompletionTokens: usage || !ticket ? undefined : countText(completionTextOf(parsed)),
        ttftMs: performance.now() - started,
      });
      return new Response(new Uint8Array(raw.buffer as ArrayBuffer, raw.byteOffset, raw.byteLength), {
        status: res.status,
        headers: { ...headers, 'content-type': 'application/json' },
      });
    }
    const error = lastError ?? new RelayError('no_available_channel');
    finish({ status: error.status, errorCode: error.code });
    throw error;
  };
}

/**
 * Lets a stream run past its hold only while the hold can be extended (DESIGN §2): when the counted
 * output reaches 3/4 of what the hold covers, another hold of the same size is taken in the background;
 * if the user cannot cover it the stream is cut at the covered amount with an `insufficient_balance`
 * error event. So no stream overspends by more than one extension's worth of in-flight chunks.
 */
function streamBudget(ticket: MeterTicket): StreamBudget {
  let extending = false;
  let refused = false;
  return {
    cutEvent: `data: ${errorBody(new RelayError('insufficient_balance', { message: 'The stream was stopped: your balance cannot cover more output. Please top up.' }))}\n\n`,
    allows(counted) {
      const covered = ticket.coveredCompletionTokens();
      if (!extending && !refused && counted >= covered * 0.75) {
        extending = true;
        void ticket.extend(Math.max(covered, 256)).then(
          (ok) => {
            extending = false;
            refused = !ok;
          },
          () => {
            extending = false;
            refused = true;
          },
        );
      }
      return counted <= ticket.coveredCompletionTokens() || !refused;
    },
  };
}

/**
 * How a stream's output is counted: not at all when the channel has been reporting usage and
 * `max_tokens` bounds the hold (the common API case, and the fast path); otherwise with the tokenizer,
 * incrementally — what is billed when the upstream sends no usage, and what the hold budget of an
 * unbounded stream watches.
 */
function streamCounting(
  ticket: MeterTicket | undefined,
  usageSeen: Map<number, boolean> | undefined,
  channelId: number,
  body: RelayBody,
): { countCompletion?: (text: string) => number; budget?: StreamBudget } {
  if (!ticket) return {};
  const bounded = body.kind === 'json' && requestedMaxTokens(body.json) !== undefined;
  if (bounded && usageSeen?.get(channelId) === true) return {};
  return { countCompletion: countText, budget: bounded ? undefined : streamBudget(ticket) };
}

/** Every OpenAI endpoint the relay serves. */
export const endpoints: EndpointSpec[] = [
  { path: '/chat/completions', body: 'json', streams: true, streamUsage: true, answer: 'json' },
  { path: '/completions', body: 'json', streams: true, streamUsage: true, answer: 'json' },
  { path: '/responses', body: 'json', streams: true, streamUsage: false, answer: 'json' },
  { path: '/embeddings', body: 'json', streams: false, streamUsage: false, answer: 'json' },
  { path: '/moderations', body: 'json', streams: false, streamUsage: false, answer: 'json' },
  { path: '/images/generations', body: 'json', streams: false, streamUsage: false, answer: 'json' },
  { path: '/audio/speech', body: 'json', streams: false, streamUsage: false, answer: 'any' },
  { path: '/audio/transcriptions', body: 'multipart', streams: false, streamUsage: false, answer: 'any' },
  { path: '/audio/translations', body: 'multipart', streams: false, streamUsage: false, answer: 'any' },
];
