import { LOCALES, type Locale } from './account.schemas.ts';

/*
 * Which language the site speaks to a visitor. Browser-safe (no Node imports): the site reads the
 * cookie on the server for SSR, and the language switcher writes it in the browser.
 */

/** The visitor's chosen language (`en` / `zh-CN`). Not HttpOnly: the switcher sets it from script. */
export const LOCALE_COOKIE = 'tg_locale';
export const DEFAULT_LOCALE: Locale = 'en';
const ONE_YEAR_S = 365 * 86_400;

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

/**
 * The best supported language of an `Accept-Language` header, by q-value: any `zh*` tag means
 * Simplified Chinese, any `en*` English; undefined when neither is listed.
 */
export function localeFromAcceptLanguage(header: string | null | undefined): Locale | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { tag: tag.trim().toLowerCase(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.tag && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return undefined;
}

/** The language to render: the cookie, else the account's saved choice, else the browser's, else English. */
export function pickLocale(sources: {
  cookie?: string | null | undefined;
  user?: string | null | undefined;
  acceptLanguage?: string | null | undefined;
}): Locale {
  if (isLocale(sources.cookie)) return sources.cookie;
  if (isLocale(sources.user)) return sources.user;
  return localeFromAcceptLanguage(sources.acceptLanguage) ?? DEFAULT_LOCALE;
}

/** `Set-Cookie` remembering the language for a year (SameSite=Lax, Secure when served over TLS). */
export function localeCookie(locale: Locale, secure: boolean): string {
  const parts = [`${LOCALE_COOKIE}=${locale}`, 'Path=/', 'SameSite=Lax', `Max-Age=${ONE_YEAR_S}`];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** The `tg_locale` cookie of a `Cookie` header when it names a supported language. */
export function readLocaleCookie(header: string | null | undefined): Locale | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === LOCALE_COOKIE) {
      const value = part.slice(i + 1).trim();
      if (isLocale(value)) return value;
    }
  }
  return undefined;
}
