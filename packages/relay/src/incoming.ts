import type { Context } from 'hono';
import type { RelayEnv } from './env.ts';
import { RelayError } from './errors.ts';

/**
 * A request header read straight from Node's IncomingMessage: asking Hono (`c.req.header`) makes
 * @hono/node-server build a whole web-standard Request, which costs more than the rest of auth. In
 * in-process tests (`app.request`) there is no IncomingMessage and Hono answers.
 */
export function headerOf(c: Context<RelayEnv>, name: string): string | undefined {
  const incoming = c.env?.incoming;
  if (!incoming) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Headers as the `{ get(name) }` shape of `extractApiKey`. */
export function headerGetter(c: Context<RelayEnv>): { get(name: string): string | undefined } {
  return { get: (name) => headerOf(c, name) };
}

/**
 * The request body, refused with 413 past `maxBytes` (announced by Content-Length or counted while
 * reading), read from the IncomingMessage without building a web Request.
 */
export async function readBodyBytes(c: Context<RelayEnv>, maxBytes: number): Promise<Buffer> {
  const declared = Number(headerOf(c, 'content-length') ?? Number.NaN);
  if (declared > maxBytes) throw new RelayError('payload_too_large');
  const incoming = c.env?.incoming;
  if (!incoming) {
    const buf = Buffer.from(await c.req.arrayBuffer());
    if (buf.length > maxBytes) throw new RelayError('payload_too_large');
    return buf;
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      incoming.resume();
      throw new RelayError('payload_too_large');
    }
    parts.push(chunk as Buffer);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
