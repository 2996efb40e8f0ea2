import { DEFAULT_LOCALE, isLocale, LOCALE_COOKIE } from '@tollgate/control-plane/modules/account/locale.ts';
import { type Locale, setLocale } from './index.ts';

/** Browser only: makes `wanted` (the server's `<html lang>`) the page's language before hydration. */
export function loadLocale(wanted: string): Locale {
  const locale = isLocale(wanted) ? wanted : DEFAULT_LOCALE;
  setLocale(locale);
  return locale;
}

/** Set by a switch made while signed out; the signed-in shell then saves it to the account. */
const UNSAVED_KEY = 'tg_locale_unsaved';

/** Remembers the language in this browser (a year) — the server renders pages in it. */
export function rememberLocale(locale: Locale): void {
  const secure = window.location.protocol === 'https:' ? '; Secure' : '';
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser we support
  document.cookie = `${LOCALE_COOKIE}=${locale}; Path=/; Max-Age=${365 * 86_400}; SameSite=Lax${secure}`;
}

/**
 * Switches the site's language: remembers it in the cookie, saves it to the account when signed in
 * (`save`), and reloads so the server renders the page in it.
 */
export async function switchLocale(
  locale: Locale,
  save?: (locale: Locale) => Promise<unknown>,
): Promise<void> {
  rememberLocale(locale);
  try {
    if (save) await save(locale);
    else localStorage.setItem(UNSAVED_KEY, locale);
  } catch {
    // the cookie already holds the choice; the account keeps its old value until the next switch
  }
  window.location.reload();
}

/** A language picked while signed out, not yet saved to the account (cleared by reading it). */
export function takeUnsavedLocale(): Locale | undefined {
  try {
    const v = localStorage.getItem(UNSAVED_KEY);
    localStorage.removeItem(UNSAVED_KEY);
    return isLocale(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
