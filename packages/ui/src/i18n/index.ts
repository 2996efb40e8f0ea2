import { en, type MessageKey, type Messages } from './en.ts';

export type { MessageKey };

const catalogs: Record<string, Messages> = { en };
let current: Messages = en;

/** Switches the active language (falls back to English for unknown locales). */
export function setLocale(locale: string): void {
  current = catalogs[locale] ?? en;
}

/** The message for `key`, with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = current[key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}
