import { openAiCompatible } from './openai-compatible.ts';
import type { ProviderAdapter } from './types.ts';

/** Channel types the relay can call; the control plane validates `channel.type` against these names. */
export const providers: Record<string, ProviderAdapter> = {
  [openAiCompatible.kind]: openAiCompatible,
};

export function providerFor(type: string): ProviderAdapter | undefined {
  return providers[type];
}
