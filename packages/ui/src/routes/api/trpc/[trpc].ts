import type { APIEvent } from '@solidjs/start/server';
import { appRouter, createContext } from '@tollgate/control-plane';
import { DB_UNAVAILABLE_MESSAGE } from '@tollgate/control-plane/errors.ts';
import { databaseUnavailable } from '@tollgate/control-plane/trpc/init.ts';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { dbUnavailable, noteDbError } from '~/server/db-health.ts';
import { getDeps } from '~/server/deps.ts';
import { RETRY_AFTER_S } from '~/server/unavailable-page.ts';

async function handler(event: APIEvent): Promise<Response> {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: event.request,
    router: appRouter,
    // while the database is down every call answers SERVICE_UNAVAILABLE "database unavailable" at once
    createContext: async ({ req, resHeaders }) => {
      if (dbUnavailable()) throw databaseUnavailable();
      let deps: Awaited<ReturnType<typeof getDeps>>;
      try {
        deps = await getDeps();
      } catch (err) {
        if (noteDbError(err)) throw databaseUnavailable(err);
        throw err;
      }
      return createContext(deps, req, resHeaders, { ip: event.clientAddress ?? '' });
    },
    onError: ({ error, path }) => {
      if (error.code === 'SERVICE_UNAVAILABLE' && error.message === DB_UNAVAILABLE_MESSAGE) {
        noteDbError(error);
        return;
      }
      if (error.code === 'INTERNAL_SERVER_ERROR')
        getDeps().then(
          (deps) => deps.logger.error({ err: error.cause ?? error, path }, 'trpc error'),
          () => console.error('trpc error', path, error.cause ?? error),
        );
    },
    // a client (or proxy) told "unavailable" learns when to try again
    responseMeta: ({ errors }) =>
      errors.some((e) => e.code === 'SERVICE_UNAVAILABLE' && e.message === DB_UNAVAILABLE_MESSAGE)
        ? { headers: { 'retry-after': String(RETRY_AFTER_S), 'x-tollgate-unavailable': 'database' } }
        : {},
  });
}

export const GET = handler;
export const POST = handler;
