import { createCheckout, lemonSqueezySetup } from '@lemonsqueezy/lemonsqueezy.js';

/** The API host the SDK has hard-coded. */
export const LEMON_SQUEEZY_API = 'https://api.lemonsqueezy.com';

let target: string | undefined;
let installed = false;

/**
 * Sends the SDK's requests to `apiUrl` instead of the real API (a fake API in tests, a recording proxy
 * on staging): the SDK cannot be pointed elsewhere and calls `globalThis.fetch` at call time, so this
 * wraps `fetch` once and rewrites only URLs on the Lemon Squeezy host. `undefined` restores the real API.
 */
export function redirectLemonSqueezyApi(apiUrl: string | undefined): void {
  target = apiUrl?.replace(/\/+$/, '');
  if (installed || !target) return;
  installed = true;
  const original = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (target && url.startsWith(`${LEMON_SQUEEZY_API}/`)) {
      const moved = `${target}${url.slice(LEMON_SQUEEZY_API.length)}`;
      return original(input instanceof Request ? new Request(moved, input) : moved, init);
    }
    return original(input, init);
  }) as typeof fetch;
}

export interface CheckoutRequest {
  apiKey: string;
  storeId: string;
  variantId: string;
  amountCents: number;
  email: string;
  /** comes back in webhooks as `meta.custom_data`; snake_case keys (the SDK rewrites camelCase) */
  custom: { topup_id: string; user_id: string };
  redirectUrl: string;
  productName: string;
  testMode?: boolean;
}

export type CheckoutResult = { ok: true; url: string; checkoutId: string } | { ok: false; error: string };

/**
 * Creates a hosted checkout for a custom price. The SDK's configuration is process-global, so the key
 * is set right before the call (one store per deployment: every call sets the same key). Never throws.
 */
export async function createLemonCheckout(req: CheckoutRequest): Promise<CheckoutResult> {
  lemonSqueezySetup({ apiKey: req.apiKey });
  const res = await createCheckout(req.storeId, req.variantId, {
    customPrice: req.amountCents,
    productOptions: {
      name: req.productName,
      redirectUrl: req.redirectUrl,
      enabledVariants: [Number(req.variantId)],
    },
    checkoutOptions: { embed: false },
    checkoutData: { email: req.email, custom: req.custom },
    ...(req.testMode ? { testMode: true } : {}),
  });
  const url = res.data?.data?.attributes?.url;
  if (res.error || typeof url !== 'string') {
    return {
      ok: false,
      error: `${res.statusCode ?? 'no answer'}: ${res.error?.message ?? 'no checkout url'}`,
    };
  }
  return { ok: true, url, checkoutId: String(res.data?.data?.id ?? '') };
}
