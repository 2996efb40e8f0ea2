import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeps, createUserWithSession, type TestDeps } from '../../testing/harness.ts';
import { localeCookie, localeFromAcceptLanguage, pickLocale, readLocaleCookie } from './locale.ts';

describe('site language', () => {
  it('reads Accept-Language by preference: any zh tag is Simplified Chinese', () => {
    expect(localeFromAcceptLanguage('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(localeFromAcceptLanguage('zh-TW')).toBe('zh-CN');
    expect(localeFromAcceptLanguage('en-US,en;q=0.9,zh-CN;q=0.8')).toBe('en');
    expect(localeFromAcceptLanguage('fr-FR, de;q=0.9, zh;q=0.5, en;q=0.4')).toBe('zh-CN');
    expect(localeFromAcceptLanguage('en;q=0.5, zh-Hans;q=0.7')).toBe('zh-CN');
    expect(localeFromAcceptLanguage('fr, de')).toBeUndefined();
    expect(localeFromAcceptLanguage('zh;q=0, en')).toBe('en');
    expect(localeFromAcceptLanguage('')).toBeUndefined();
    expect(localeFromAcceptLanguage(null)).toBeUndefined();
  });

  it('prefers the cookie, then the account, then the browser, then English', () => {
    expect(pickLocale({ cookie: 'zh-CN', user: 'en', acceptLanguage: 'en' })).toBe('zh-CN');
    expect(pickLocale({ cookie: 'xx', user: 'zh-CN', acceptLanguage: 'en' })).toBe('zh-CN');
    expect(pickLocale({ acceptLanguage: 'zh' })).toBe('zh-CN');
    expect(pickLocale({ cookie: 'fr', user: null, acceptLanguage: 'fr' })).toBe('en');
  });

  it('reads and writes the tg_locale cookie', () => {
    expect(readLocaleCookie('tg_session=abc; tg_locale=zh-CN')).toBe('zh-CN');
    expect(readLocaleCookie('tg_locale=de')).toBeUndefined();
    expect(readLocaleCookie(undefined)).toBeUndefined();
    expect(localeCookie('zh-CN', false)).toBe('tg_locale=zh-CN; Path=/; SameSite=Lax; Max-Age=31536000');
    expect(localeCookie('en', true)).toMatch(/; Secure$/);
  });
});

describe('account.setLocale', () => {
  let deps: TestDeps;
  beforeAll(async () => {
    deps = await createTestDeps({ kind: 'sqlite' });
  }, 60_000);
  afterAll(async () => {
    await deps?.cleanup();
  });

  it('saves the language and remembers it in the browser (tg_locale cookie)', async () => {
    const u = await createUserWithSession(deps, 'user');
    const profile = await u.caller.account.setLocale({ locale: 'zh-CN' });
    expect(profile.locale).toBe('zh-CN');
    expect(u.ctx.resHeaders.get('set-cookie')).toBe(localeCookie('zh-CN', false));
  });
});
