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
          return res;
        },
      }),
    ],
  });
  return Object.assign(client, { cookie: () => cookie });
}

export type SiteClient = ReturnType<typeof siteClient>;
