import type { ProviderAdapter } from './types.ts';

/** `https://host` or `https://host/v1` → `https://host/v1` (no trailing slash). */
export function openAiBase(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

/** Any upstream that speaks OpenAI's HTTP API (OpenAI, Azure-compatible gateways, vLLM, …). */
export const openAiCompatible: ProviderAdapter = {
  kind: 'openai-compatible',
  buildRequest({ channel, apiKey, path, body, contentType }) {
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey}`,
      accept: 'application/json, text/event-stream',
    };
    if (body !== undefined && contentType) headers['content-type'] = contentType;
    return {
      url: openAiBase(channel.baseUrl) + path,
      method: body === undefined ? 'GET' : 'POST',
      headers,
      body,
    };
  },
};
