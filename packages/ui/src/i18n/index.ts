import type { Locale } from '@tollgate/control-plane/modules/account/account.schemas.ts';
import {
  DEFAULT_LOCALE,
  isLocale,
  pickLocale,
  readLocaleCookie,
} from '@tollgate/control-plane/modules/account/locale.ts';
import { getRequestEvent, isServer } from 'solid-js/web';
import { en, type MessageKey, type Messages } from './en.ts';
import { zhCN } from './zh-CN.ts';

export type { Locale, MessageKey, Messages };

/*
 * The site's languages. Both catalogs are in the bundle (zh-CN is ~14 KB gzipped): loading it lazily
 * would hold hydration back on Chinese pages, and text typed before hydration is lost.
 *
 * On the server every request has its own language (event.locals.locale, set by entry-server.tsx from
 * the tg_locale cookie, the account's choice or Accept-Language), so concurrent renders never share
 * it; in the browser there is one language per page load and switching reloads the page.
 */

const catalogs: Record<Locale, Messages> = { en, 'zh-CN': zhCN };
let clientLocale: Locale = DEFAULT_LOCALE;

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
  const text = catalogs[getLocale()][key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}
