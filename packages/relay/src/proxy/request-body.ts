import type { Context } from 'hono';
import type { RelayEnv } from '../env.ts';
import { RelayError } from '../errors.ts';
import { headerOf, readBodyBytes } from '../incoming.ts';

type Json = Record<string, unknown>;

/** A client request body, parsed just enough to route it; everything else passes through untouched. */
export type RelayBody =
  | { kind: 'json'; json: Json; model: string; stream: boolean; clientWantsUsage: boolean }
  | {
      kind: 'multipart';
      form: FormData;
      raw: ArrayBuffer;
      contentType: string;
      model: string;
      stream: false;
      clientWantsUsage: false;
    };

export interface OutgoingBody {
  body: string | Buffer;
  contentType: string;
}

function requireModel(model: unknown): string {
  if (typeof model !== 'string' || model.trim().length === 0) {
    throw new RelayError('invalid_request', {
      message: 'you must provide a model parameter',
      param: 'model',
    });
  }
  return model;
}

/** Reads a JSON (or, for `multipart`, a multipart/form-data) body and its `model`. */
export async function readRelayBody(
  c: Context<RelayEnv>,
  accepts: 'json' | 'multipart',
  maxBytes: number,
): Promise<RelayBody> {
  const contentType = headerOf(c, 'content-type') ?? '';
  const type = contentType.toLowerCase();
  if (accepts === 'multipart') {
    if (!type.startsWith('multipart/form-data')) {
      throw new RelayError('unsupported_media_type', {
        message: 'Content-Type must be multipart/form-data.',
      });
    }
    const bytes = await readBodyBytes(c, maxBytes);
    const raw = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    let form: FormData;
    try {
      form = await new Response(raw, {
        headers: { 'content-type': contentType },
      }).formData();
    } catch (cause) {
      throw new RelayError('invalid_request', { message: 'The multipart body could not be parsed.', cause });
    }
    return {
      kind: 'multipart',
      form,
      raw,
      contentType,
      model: requireModel(form.get('model')),
      stream: false,
      clientWantsUsage: false,
    };
  }
  if (!type.includes('application/json')) throw new RelayError('unsupported_media_type');
  let parsed: unknown;
  const text = (await readBodyBytes(c, maxBytes)).toString('utf8');
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new RelayError('invalid_json', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RelayError('invalid_request', { message: 'The request body must be a JSON object.' });
  }
  const json = parsed as Json;
  const so = json.stream_options as { include_usage?: unknown } | undefined;
  return {
    kind: 'json',
    json,
    model: requireModel(json.model),
    stream: json.stream === true,
    clientWantsUsage: so?.include_usage === true,
  };
}

/**
 * The body for one upstream attempt: the model renamed when the channel maps it and, for streams of
 * endpoints that support it, usage requested from the upstream. Unknown fields pass through.
 */
export async function outgoingBody(
  b: RelayBody,
  upstreamModel: string,
  askUsage: boolean,
): Promise<OutgoingBody> {
  if (b.kind === 'multipart') {
    if (upstreamModel === b.model) return { body: Buffer.from(b.raw), contentType: b.contentType };
    const form = new FormData();
    for (const [k, v] of b.form.entries()) form.append(k, k === 'model' ? upstreamModel : v);
    // encode once, with a fresh boundary, so every transport sends the same bytes
    const encoded = new Response(form);
    return {
      body: Buffer.from(await encoded.arrayBuffer()),
      contentType: encoded.headers.get('content-type')!,
    };
  }
  const json: Json = { ...b.json, model: upstreamModel };
  if (b.stream && askUsage)
    json.stream_options = { ...(b.json.stream_options as Json | undefined), include_usage: true };
  return { body: JSON.stringify(json), contentType: 'application/json' };
}
