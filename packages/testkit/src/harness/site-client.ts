import type { AppRouter } from '@tollgate/control-plane';
import { createTRPCClient, httpLink } from '@trpc/client';

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
          // a non-JSON answer (an error page) is named with its status and text, not just "cannot transform"
          if (!(res.headers.get('content-type') ?? '').includes('application/json')) {
            const text = await res.text();
            throw new Error(
              `site answered ${res.status} ${res.headers.get('content-type')}: ${text.slice(0, 500)}`,
            );
          }
          return res;
        },
      }),
    ],
  });
  return Object.assign(client, { cookie: () => cookie });
}

export type SiteClient = ReturnType<typeof siteClient>;
