/**
 * Public types of the fake OpenAI-compatible upstream.
 * See README.md in this folder for the semantics of every knob.
 */

/** A fault given by name. */
export type FaultKind =
  /** No fault: serve normally (useful as a placeholder in `queueFaults`). */
  | 'none'
  /** Destroy the socket at once with no response (closest to "refused" for an open connection). */
  | 'refuse'
  /** Wait `latencyMs`, then reset the socket (TCP RST) before any header is sent. */
  | 'reset'
  /** Send headers + `resetAfterChunks` chunks (or half of a JSON body), then destroy the socket. */
  | 'reset-mid-stream'
  /** Streams: send `resetAfterChunks` chunks, then an OpenAI `{"error":...}` event, then end. */
  | 'error-mid-stream'
  /** Never answer (the socket is cleaned up when the client gives up or the server closes). */
  | 'hang'
  /** 200 with `content-type: application/json` and an invalid JSON body. */
  | 'malformed-json'
  /** 200 `text/event-stream` with one valid chunk, then garbage, then `[DONE]`. */
  | 'garbage-sse';

/** An HTTP error answer. Without `body`, an OpenAI-style `{"error":{...}}` body is generated. */
export interface StatusFault {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** Anything the fake can do instead of a normal answer. */
export type Fault = FaultKind | StatusFault;

/** A fault waiting in the queue; with `path`, only a request to that path (or matching it) consumes it. */
export type QueuedFault = Fault | { fault: Fault; path?: string | RegExp };

/** How the fake answers. Set defaults at start, change with `setBehaviour`, override per request. */
export interface Behaviour {
  /** Delay before the status line and headers are sent (all endpoints, faults included). */
  latencyMs: number;
  /** Delay between streamed content chunks (SSE). */
  chunkDelayMs: number;
  /** Number of content chunks of a completion (stream) = completion tokens / tokensPerChunk. */
  chunks: number;
  /** Completion tokens carried by each content chunk (each token is one word like " hello"). */
  tokensPerChunk: number;
  /** Fixed prompt tokens; when unset, estimated as ceil(chars of the prompt text / 4), at least 1. */
  promptTokens?: number | undefined;
  /** When set, reported as `usage.prompt_tokens_details.cached_tokens` (and in the Responses API). */
  cachedTokens?: number | undefined;
  /** Send the final usage chunk of a stream even when `stream_options.include_usage` was not asked. */
  includeUsageAlways: boolean;
  /** Never report usage: no usage chunk in streams, no `usage` in JSON bodies. */
  omitUsage: boolean;
  /** Content chunks sent before 'reset-mid-stream' / 'error-mid-stream' strike. */
  resetAfterChunks: number;
  /** Length of embedding vectors when the request has no `dimensions`. */
  embeddingDimensions: number;
  /** A fault applied to every request while set (queued / header / model faults take precedence). */
  fault?: Fault | undefined;
}

/** One received request, as logged. */
export interface RequestLogEntry {
  /** Same id as the matching `served` entry and the `x-request-id` response header. */
  requestId: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Headers, names lower-cased (Node's `req.headers`). */
  headers: Record<string, string | string[] | undefined>;
  /** The `authorization` header as received (or undefined). */
  authorization: string | undefined;
  /** `model` of the JSON or multipart body (or the `:id` of GET /v1/models/:id). */
  model: string | undefined;
  /** Parsed JSON body, the text fields of a multipart body, or undefined. */
  body: unknown;
  /** Raw body length in bytes. */
  bodyBytes: number;
  /** Date.now() when the body had been read. */
  time: number;
}

/** What the fake generated for one request (mutated while a stream is being sent). */
export interface ServedEntry {
  requestId: string;
  path: string;
  /** The model as requested (echoed in the answer). */
  model: string;
  promptTokens: number;
  /** Completion tokens actually sent so far (for streams: chunks sent × tokens per chunk). */
  completionTokens: number;
  cachedTokens: number;
  stream: boolean;
  /** True once the whole answer was written; false for cut streams and client aborts. */
  completed: boolean;
  /** Content chunks sent (0 for non-stream answers). */
  chunksSent: number;
  /** Whether usage numbers were (or will be, once complete) sent to the client. */
  usageReported: boolean;
  time: number;
}

/** Sums over every served entry since start or the last `reset()` (exact even when logs are trimmed). */
export interface Totals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
}

/** Options of `startFakeUpstream`. */
export interface StartOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Initial behaviour (merged over the built-in defaults); `resetBehaviour()` returns to it. */
  defaults?: Partial<Behaviour>;
  /** When set, requests without `authorization: Bearer <apiKey>` get OpenAI's 401 invalid_api_key. */
  apiKey?: string;
  /** Ids listed by GET /v1/models. */
  models?: string[];
  /** Newest entries kept in `requests` and `served` (default 10000; 0 keeps none; Infinity keeps all). */
  maxLogEntries?: number;
}

/** A running fake upstream. */
export interface FakeUpstream {
  /** Base URL without `/v1`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Received requests, oldest first. */
  readonly requests: RequestLogEntry[];
  /** Usage served per request, oldest first. */
  readonly served: ServedEntry[];
  /** The behaviour currently in force (a copy). */
  readonly behaviour: Behaviour;
  /** Sum of served tokens. */
  totals(): Totals;
  /** Clear `requests`, `served`, totals and queued faults (the behaviour is kept). */
  reset(): void;
  /** Merge into the current behaviour (throws on unknown keys / bad values). */
  setBehaviour(partial: Partial<Behaviour>): void;
  /** Back to the behaviour given at start. */
  resetBehaviour(): void;
  /** Append faults, consumed one per (matching) request in order. */
  queueFaults(faults: QueuedFault[]): void;
  /** Faults still waiting in the queue. */
  pendingFaults(): number;
  /** Stop accepting connections and drop open ones: new connections get ECONNREFUSED. */
  stopListening(): Promise<void>;
  /** Listen again on the same port after `stopListening()`. */
  resumeListening(): Promise<void>;
  /** Stop everything (hanging requests and timers included). */
  close(): Promise<void>;
}
