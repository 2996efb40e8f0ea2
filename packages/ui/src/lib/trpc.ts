import type { AppRouter } from '@tollgate/control-plane';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { t } from '~/i18n/index.ts';
import { noteResponse } from './db-status.ts';
import { localizeServerMessage } from './server-errors.ts';

/** The browser's tRPC client; every request carries the CSRF marker header and the session cookie. */
export const trpc = createTRPCClient<AppRouter>({
  links: [
    httpBatchLink({
      url: '/api/trpc',
      headers: () => ({ 'x-tollgate-csrf': '1' }),
      fetch: async (url, init) => {
        const res = await fetch(url, { ...init, credentials: 'same-origin' });
        // the database is down: the app shows its "database unavailable" page
        noteResponse(res);
        return res;
      },
    }),
  ],
});

type ZodFlat =
  | { formErrors?: string[]; fieldErrors?: Record<string, string[] | undefined> }
  | null
  | undefined;

/** A readable message for a failed call: the server's message, or the first validation issue. */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) {
    const data = err.data as { zodError?: ZodFlat; httpStatus?: number } | undefined;
    const zod = data?.zodError;
    if (zod) {
      const field = Object.entries(zod.fieldErrors ?? {}).find(([, msgs]) => msgs && msgs.length > 0);
      if (field) return `${field[0]}: ${field[1]![0]}`;
      if (zod.formErrors?.[0]) return zod.formErrors[0];
    }
    if (!data && /fetch|network/i.test(err.message)) return t('common.networkError');
    return err.message ? localizeServerMessage(err.message) : t('common.unknownError');
  }
  if (err instanceof Error && err.message) return err.message;
  return t('common.unknownError');
}

/** True when the server says the session is gone (expired, signed out elsewhere, user disabled). */
export function isUnauthorized(err: unknown): boolean {
  return (
    err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === 'UNAUTHORIZED'
  );
}
