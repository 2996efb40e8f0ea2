import type { ChannelEntry } from '@tollgate/shared/snapshot/types.ts';

/** What an adapter turns into an upstream HTTP request. */
export interface UpstreamRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface BuildRequestInput {
  channel: ChannelEntry;
  /** the upstream key chosen for this attempt */
  apiKey: string;
  /** OpenAI path below /v1, e.g. `/chat/completions` */
  path: string;
  /** the body to send (model already mapped): JSON text or multipart bytes */
  body?: string | Buffer;
  contentType?: string;
}

/**
 * One provider kind. The relay is written against this interface only; `openai-compatible` is the
 * first kind, and others (Anthropic, Gemini …) add a file and a registry entry.
 */
export interface ProviderAdapter {
  kind: string;
  buildRequest(input: BuildRequestInput): UpstreamRequest;
}
