import type { Locale } from '@tollgate/control-plane/modules/account/account.schemas.ts';
import {
  DEFAULT_LOCALE,
  isLocale,
  pickLocale,
  readLocaleCookie,
} from '@tollgate/control-plane/modules/account/locale.ts';
import { getRequestEvent, isServer } from 'solid-js/web';
import { en, type MessageKey, type Messages } from './en.ts';

export type { Locale, MessageKey, Messages };

/*
 * The site's languages. English is always loaded; other catalogs are registered before anything
 * renders: on the server by entry-server.tsx (all of them), in the browser by entry-client.tsx (only
 * the page's language, fetched as its own chunk before hydration).
 *
 * On the server every request has its own language (event.locals.locale, set by entry-server.tsx from
 * the tg_locale cookie, the account's choice or Accept-Language), so concurrent renders never share
 * it; in the browser there is one language per page load and switching reloads the page.
 */

const catalogs: Partial<Record<Locale, Messages>> = { en };
let clientLocale: Locale = DEFAULT_LOCALE;

/** Makes a language's messages available to `t()`. */
export function registerCatalog(locale: Locale, messages: Messages): void {
  catalogs[locale] = messages;
}

/** The language being rendered: this request's on the server, the page's in the browser. */
export function getLocale(): Locale {
  if (!isServer) return clientLocale;
  const event = getRequestEvent();
  if (!event) return DEFAULT_LOCALE;
  const locals = event.locals as { locale?: Locale };
  // entry-server sets it for pages; server functions and API routes fall back to the headers
  locals.locale ??= pickLocale({
    cookie: readLocaleCookie(event.request.headers.get('cookie')),
    acceptLanguage: event.request.headers.get('accept-language'),
  });
  return locals.locale;
}

/** Switches the browser's active language (unknown → English). Server renders use the request's. */
export function setLocale(locale: string): void {
  clientLocale = isLocale(locale) ? locale : DEFAULT_LOCALE;
}

/** The BCP 47 tag for `Intl` formatters of the active language. */
export function intlLocale(): string {
  return getLocale() === 'zh-CN' ? 'zh-CN' : 'en-US';
}

/** The message for `key`, with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = catalogs[getLocale()]?.[key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}
