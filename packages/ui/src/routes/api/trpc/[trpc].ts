import type { APIEvent } from '@solidjs/start/server';
import { appRouter, createContext } from '@tollgate/control-plane';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getDeps } from '~/server/deps.ts';

async function handler(event: APIEvent): Promise<Response> {
  const deps = await getDeps();
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: event.request,
    router: appRouter,
    createContext: ({ req, resHeaders }) =>
      createContext(deps, req, resHeaders, { ip: event.clientAddress ?? '' }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        deps.logger.error({ err: error.cause ?? error, path }, 'trpc error');
    },
  });
}

export const GET = handler;
export const POST = handler;
