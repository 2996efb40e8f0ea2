import type { AppRouter } from '@tollgate/control-plane';
import { createTRPCClient, httpLink } from '@trpc/client';

/** True for a tRPC answer: `{ result }` or `{ error: {…} }` (or a batch of them). */
function isTrpcEnvelope(text: string): boolean {
  const one = (v: unknown) =>
    typeof v === 'object' &&
    v !== null &&
    ('result' in v || ('error' in v && typeof (v as { error: unknown }).error === 'object'));
  try {
    const body = JSON.parse(text) as unknown;
    return Array.isArray(body) ? body.every(one) : one(body);
  } catch {
    return false;
  }
}

/**
 * A tRPC client for the site that keeps its own session cookie, like one browser. `csrf` sends the
 * header the site requires on mutations.
 */
export function siteClient(siteUrl: string) {
  let cookie = '';
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${siteUrl}/api/trpc`,
        headers: () => ({ 'x-tollgate-csrf': '1', ...(cookie ? { cookie } : {}) }),
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          const set = res.headers.getSetCookie();
          for (const c of set) {
            const [pair] = c.split(';');
            if (pair?.startsWith('tg_session=')) cookie = pair.endsWith('=') ? '' : pair;
          }
          // an answer that is not a tRPC envelope (an error page, or Nitro's own JSON error for an exception
          // outside tRPC) is named with its status and text, not tRPC's bare "Unable to transform response"
          const text = await res.text();
          if (!isTrpcEnvelope(text)) {
            throw new Error(
              `site answered ${res.status} ${res.headers.get('content-type')}: ${text.slice(0, 500)}`,
            );
          }
          return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
        },
      }),
    ],
  });
  return Object.assign(client, { cookie: () => cookie });
}

export type SiteClient = ReturnType<typeof siteClient>;
