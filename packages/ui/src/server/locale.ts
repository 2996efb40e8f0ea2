import 'server-only';
import type { PageEvent } from '@solidjs/start/server';
import type { Locale } from '@tollgate/control-plane/modules/account/account.schemas.ts';
import { getProfile } from '@tollgate/control-plane/modules/account/account.service.ts';
import {
  localeCookie,
  pickLocale,
  readLocaleCookie,
} from '@tollgate/control-plane/modules/account/locale.ts';
import { readCookie, SESSION_COOKIE, sessionUser } from '@tollgate/control-plane/modules/auth/sessions.ts';
import { dbUnavailable, noteDbError } from './db-health.ts';
import { getDeps } from './deps.ts';

/**
 * Decides the language of a page render before it starts (SSR output is never English by mistake):
 * the tg_locale cookie; else, for a signed-in visitor, the language saved on the account (then
 * remembered in the cookie, so this lookup happens once per browser); else Accept-Language; else
 * English. The answer is kept in `event.locals.locale`, which `t()` reads for this request.
 */
export async function resolvePageLocale(event: PageEvent): Promise<Locale> {
  const header = event.request.headers.get('cookie');
  const cookie = readLocaleCookie(header);
  let saved: Locale | null = null;
  const token = cookie ? undefined : readCookie(header, SESSION_COOKIE);
  if (token && !dbUnavailable()) {
    try {
      const deps = await getDeps();
      const user = await sessionUser(deps, token);
      if (user) saved = (await getProfile(deps, user.id)).locale;
    } catch (err) {
      // the language is a nicety: the page (and its own guard) still renders if this lookup fails
      noteDbError(err);
    }
    if (saved) {
      const url = new URL(event.request.url);
      const secure = url.protocol === 'https:' || event.request.headers.get('x-forwarded-proto') === 'https';
      event.response.headers.append('Set-Cookie', localeCookie(saved, secure));
    }
  }
  const locale = pickLocale({
    cookie,
    user: saved,
    acceptLanguage: event.request.headers.get('accept-language'),
  });
  (event.locals as { locale?: Locale }).locale = locale;
  return locale;
}
