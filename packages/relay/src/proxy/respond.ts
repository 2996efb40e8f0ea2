import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { SseUsageTap, type Usage } from './usage-tap.ts';

/** Upstream headers worth passing to the client (no hop-by-hop, no upstream identifiers). */
const passHeaders = ['content-type', 'openai-processing-ms', 'x-ratelimit-remaining-requests'] as const;

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
  /** the upstream finished the stream normally */
  completed: boolean;
  /** the client went away before the end */
  clientAborted: boolean;
  usage: Usage | undefined;
  /** ms from send start to the first byte written to the client */
  firstByteAt: number | undefined;
}

/**
 * Streams an SSE body to the client (RFC 8895 framing, via the usage tap). Backpressure is honoured;
 * a client disconnect aborts the upstream; an upstream reset mid-stream ends the client's stream with
 * an error event — never a retry, since bytes were already sent.
 */
export function pipeSse(
  out: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Readable,
  o: { stripUsageChunk: boolean; abort: () => void; errorEvent: string },
): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const tap = new SseUsageTap({ stripUsageChunk: o.stripUsageChunk });
    let firstByteAt: number | undefined;
    let done = false;
    const finish = (completed: boolean, clientAborted: boolean) => {
      if (done) return;
      done = true;
      resolve({ completed, clientAborted, usage: tap.usage, firstByteAt });
    };
    out.writeHead(status, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    out.flushHeaders();
    tap.on('data', (chunk: Buffer) => {
      if (firstByteAt === undefined) firstByteAt = performance.now();
      if (!out.write(chunk)) tap.pause();
    });
    out.on('drain', () => tap.resume());
    tap.on('end', () => {
      out.end();
      finish(true, false);
    });
    body.on('error', () => {
      if (done) return;
      body.unpipe(tap);
      if (!out.destroyed) out.end(o.errorEvent);
      finish(false, false);
    });
    out.on('close', () => {
      if (!out.writableFinished) {
        o.abort();
        body.destroy();
        finish(false, true);
      }
    });
    body.pipe(tap);
  });
}
