import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { UpstreamRequest } from '../providers/types.ts';

export interface UpstreamClientOptions {
  connectTimeoutMs: number;
  /** silence allowed: until the response headers, and between body chunks */
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

class ForwardError extends Error {
  readonly kind: ForwardFailure['kind'];
  constructor(kind: ForwardFailure['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

/**
 * Calls upstreams with node:http / node:https over keep-alive connections (measured about twice as fast
 * as undici.request or fetch for this proxying job). Transport failures come back as values, so the
 * retry loop decides; upstream HTTP errors come back as responses. Timeouts: `connectTimeoutMs` to open
 * a connection, the attempt's `timeoutMs` until the response headers, `o.timeoutMs` of silence while
 * the body streams.
 */
export function createUpstreamClient(o: UpstreamClientOptions): UpstreamClient {
  const agentOptions = {
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxSockets: 256,
    maxFreeSockets: 256,
    scheduling: 'lifo' as const,
  };
  const agents = { 'http:': new HttpAgent(agentOptions), 'https:': new HttpsAgent(agentOptions) };
  return {
    send(req, signal, timeoutMs) {
      const headersTimeout = Math.min(timeoutMs ?? o.timeoutMs, o.timeoutMs);
      return new Promise<ForwardResult>((resolve) => {
        let url: URL;
        try {
          url = new URL(req.url);
        } catch (cause) {
          resolve({ ok: false, failure: { kind: 'connect', cause } });
          return;
        }
        const secure = url.protocol === 'https:';
        const headers: Record<string, string | number> = { ...req.headers };
        if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
        let settled = false;
        const fail = (kind: ForwardFailure['kind'], cause: unknown) => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          resolve({ ok: false, failure: { kind: signal.aborted ? 'aborted' : kind, cause } });
        };
        const call = (secure ? httpsRequest : httpRequest)({
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port || (secure ? 443 : 80),
          path: url.pathname + url.search,
          method: req.method,
          headers,
          agent: agents[secure ? 'https:' : 'http:'],
          signal,
        });
        const timer = setTimeout(
          () => call.destroy(new ForwardError('timeout', 'no response headers in time')),
          headersTimeout,
        );
        call.once('socket', (socket) => {
          if (!socket.connecting) return;
          const connectTimer = setTimeout(
            () => call.destroy(new ForwardError('connect', 'connect timeout')),
            o.connectTimeoutMs,
          );
          socket.once('connect', () => clearTimeout(connectTimer));
          socket.once('close', () => clearTimeout(connectTimer));
        });
        call.once('response', (res) => {
          clearTimeout(timer);
          settled = true;
          // silence while the body streams (socket idle timeout; never a data listener, which would
          // start the flow before the consumer is attached)
          const socket = res.socket;
          const idle = () => res.destroy(new ForwardError('timeout', 'upstream body stalled'));
          socket.setTimeout(o.timeoutMs);
          socket.once('timeout', idle);
          res.once('close', () => {
            socket.setTimeout(0);
            socket.removeListener('timeout', idle);
          });
          resolve({ ok: true, res: { status: res.statusCode ?? 502, headers: res.headers, body: res } });
        });
        call.once('error', (err) => fail(classify(err), err));
        call.end(req.body);
      });
    },
    async close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

function classify(err: unknown): ForwardFailure['kind'] {
  if (err instanceof ForwardError) return err.kind;
  const code = (err as { code?: string }).code;
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' ||
    code === 'EAI_AGAIN' ||
    code === 'ENETUNREACH'
  ) {
    return 'connect';
  }
  if (code === 'ABORT_ERR') return 'aborted';
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
