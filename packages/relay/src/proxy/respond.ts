import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { SseUsageTap, type StreamBudget, type Usage } from './usage-tap.ts';

/** Upstream headers worth passing to the client (no hop-by-hop, no upstream identifiers). */
const passHeaders = ['content-type', 'openai-processing-ms', 'content-disposition'] as const;

export function clientHeaders(
  upstream: Record<string, string | string[] | undefined>,
  requestId: string,
): Record<string, string> {
  const out: Record<string, string> = { 'x-request-id': requestId };
  for (const h of passHeaders) {
    const v = upstream[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

export interface StreamOutcome {
  /** the upstream finished the body normally */
  completed: boolean;
  /** the client went away before the end */
  clientAborted: boolean;
  usage: Usage | undefined;
  /** the stream was cut because the user's balance or key quota could not cover more */
  cut?: boolean;
  /** completion tokens counted from the streamed text (SSE with `countCompletion`) */
  countedCompletionTokens?: number;
  /** performance.now() when the first byte was written to the client */
  firstByteAt: number | undefined;
}

interface PipeOptions {
  abort: () => void;
  /** upstream errors after this says true are expected (we cut the stream ourselves) */
  stopped?: () => boolean;
  /** written before ending when the upstream breaks mid-body (SSE: an error event) */
  errorTail?: string;
}

/**
 * Pipes an upstream body to the client with backpressure; a client disconnect aborts the upstream; an
 * upstream break mid-body ends the client's response (with `errorTail` for SSE) — never a retry,
 * since bytes were already sent.
 */
function pipeBody(
  out: ServerResponse,
  source: Readable,
  upstream: Readable,
  o: PipeOptions,
  usage: () => Usage | undefined,
) {
  return new Promise<StreamOutcome>((resolve) => {
    let firstByteAt: number | undefined;
    let done = false;
    const finish = (completed: boolean, clientAborted: boolean) => {
      if (done) return;
      done = true;
      resolve({ completed, clientAborted, usage: usage(), firstByteAt });
    };
    source.on('data', (chunk: Buffer) => {
      if (firstByteAt === undefined) firstByteAt = performance.now();
      if (!out.write(chunk)) source.pause();
    });
    out.on('drain', () => source.resume());
    source.on('end', () => {
      out.end();
      finish(true, false);
    });
    const broken = () => {
      if (done || o.stopped?.()) return;
      if (!out.destroyed) out.end(o.errorTail);
      finish(false, false);
    };
    upstream.on('error', broken);
    if (source !== upstream) source.on('error', broken);
    out.on('close', () => {
      if (!out.writableFinished) {
        o.abort();
        upstream.destroy();
        finish(false, true);
      }
    });
  });
}

/** Streams SSE through the usage tap (RFC 8895 framing; usage chunk stripped unless asked for). */
export function pipeSse(
  out: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Readable,
  o: PipeOptions & {
    stripUsageChunk: boolean;
    countCompletion?: (text: string) => number;
    budget?: StreamBudget;
  },
): Promise<StreamOutcome> {
  const tap = new SseUsageTap({
    stripUsageChunk: o.stripUsageChunk,
    countCompletion: o.countCompletion,
    budget: o.budget,
  });
  // the budget refused more tokens: stop the upstream; the tap has written the error event and ends
  tap.once('cut', () => {
    body.unpipe(tap);
    o.abort();
    body.destroy();
  });
  out.writeHead(status, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  out.flushHeaders();
  const done = pipeBody(out, tap, body, { ...o, stopped: () => tap.cut }, () => tap.usage).then((r) => ({
    ...r,
    cut: tap.cut,
    // without the tokenizer (a bounded stream on a channel that reports usage) a cut-short stream is
    // estimated at one token per content event: OpenAI streams send about one token an event
    countedCompletionTokens: o.countCompletion ? tap.countedCompletionTokens : Math.max(0, tap.events - 2),
  }));
  body.pipe(tap);
  return done;
}

/** Streams a binary body (audio) as it arrives. */
export function pipeBinary(
  out: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Readable,
  o: PipeOptions,
) {
  out.writeHead(status, headers);
  return pipeBody(out, body, body, o, () => undefined);
}
