import type { Readable } from 'node:stream';
import { Agent, request, errors as undiciErrors } from 'undici';
import type { UpstreamRequest } from '../providers/types.ts';

export interface UpstreamClientOptions {
  connectTimeoutMs: number;
  /** whole-call deadline: headers and body */
  timeoutMs: number;
}

/** A response whose headers arrived; the body is still streaming. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** Why an attempt failed before a usable response; all of them may be retried on another channel. */
export type ForwardFailure = { kind: 'connect' | 'timeout' | 'reset' | 'aborted'; cause: unknown };

export type ForwardResult = { ok: true; res: UpstreamResponse } | { ok: false; failure: ForwardFailure };

export interface UpstreamClient {
  /** `timeoutMs`: this attempt's share of the request deadline (capped by the client's `timeoutMs`) */
  send(req: UpstreamRequest, signal: AbortSignal, timeoutMs?: number): Promise<ForwardResult>;
  close(): Promise<void>;
}

/**
 * Calls upstreams over keep-alive connections (undici Agent). Transport failures come back as values,
 * so the retry loop decides; upstream HTTP errors come back as responses.
 */
export function createUpstreamClient(o: UpstreamClientOptions): UpstreamClient {
  const agent = new Agent({
    connect: { timeout: o.connectTimeoutMs },
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connections: 256,
    pipelining: 1,
  });
  return {
    async send(req, signal, timeoutMs) {
      const t = Math.min(timeoutMs ?? o.timeoutMs, o.timeoutMs);
      try {
        const res = await request(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          dispatcher: agent,
          signal,
          headersTimeout: t,
          bodyTimeout: o.timeoutMs,
        });
        return { ok: true, res: { status: res.statusCode, headers: res.headers, body: res.body } };
      } catch (cause) {
        return { ok: false, failure: { kind: classify(cause, signal), cause } };
      }
    },
    close: () => agent.close(),
  };
}

function classify(err: unknown, signal: AbortSignal): ForwardFailure['kind'] {
  if (signal.aborted) return 'aborted';
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError)
    return 'timeout';
  if (err instanceof undiciErrors.ConnectTimeoutError) return 'connect';
  const code = (err as { code?: string }).code;
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  )
    return 'connect';
  return 'reset';
}

/** Reads a whole (small) body, e.g. a non-streaming JSON answer or an error. */
export async function readBody(body: Readable, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('upstream body too large');
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}
