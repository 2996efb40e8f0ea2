import type { APIEvent } from '@solidjs/start/server';
import { lemonSqueezyWebhookResponse } from '@tollgate/control-plane';
import { getDeps } from '~/server/deps.ts';

/**
 * `POST /api/payments/lemonsqueezy/webhook`: Lemon Squeezy order events. The raw body is verified
 * against `X-Signature` before it is parsed; no session is involved.
 */
export async function POST(event: APIEvent): Promise<Response> {
  return lemonSqueezyWebhookResponse(await getDeps(), event.request);
}
