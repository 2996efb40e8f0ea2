import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { launchBrowser, openPage, type TestPage } from '../harness/browser.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

/**
 * English and 简体中文 in headless Chromium against real site + relay processes: the switcher on the
 * sign-in page, the language remembered in a cookie and on the account, server-rendered in the right
 * language (no English flash), dates and money per locale; and the shell and main pages on a 390 px
 * phone without sideways scrolling.
 */
describe('site languages and the phone layout', () => {
  let stack: Stack;
  let upstream: FakeUpstream;
  let browser: Browser;
  let admin: SiteClient;

  beforeAll(async () => {
    [upstream, stack, browser] = await Promise.all([
      startFakeUpstream(),
      startStack('embedded'),
      launchBrowser(),
    ]);
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    // something in the tables: a channel, a price and two keys of the admin
    await admin.channels.create.mutate({
      name: 'fake upstream for the i18n test',
      baseUrl: `${upstream.url}/v1`,
      keys: ['sk-upstream-i18n-test-key'],
      models: ['gpt-4o-mini', 'gpt-4.1-mini'],
    });
    await admin.prices.set.mutate({ model: 'gpt-4o-mini', inputPrice: 150_000, outputPrice: 600_000 });
    await admin.tokens.create.mutate({ name: 'laptop with a rather long key name' });
    const { key } = await admin.tokens.create.mutate({ name: 'ci-server' });
    const me = await admin.account.profile.query();
    await admin.users.adjustBalance.mutate({ userId: me.id, amount: 2_500_000, reason: 'i18n test' });
    // a little traffic for the dashboard, the charts and the logs
    // (a new key reaches the relay within a second: retry until it is known)
    let ok = 0;
    for (let tries = 0; ok < 3 && tries < 100; tries++) {
      const res = await fetch(`${stack.relayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: `hello ${tries}` }],
        }),
      });
      await res.text();
      if (res.status === 200) ok++;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(ok).toBe(3);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await upstream?.close();
  });

  const lang = (p: TestPage) => p.page.evaluate(() => document.documentElement.lang);
  const h1 = (p: TestPage) => p.page.locator('h1').first().innerText();

  /** The server's HTML for `path` (no JavaScript ran): what a visitor sees before hydration. */
  async function ssrHtml(path: string, headers: Record<string, string>): Promise<string> {
    const res = await fetch(`${stack.siteUrl}${path}`, { headers, redirect: 'manual' });
    return res.text();
  }

  async function signIn(p: TestPage) {
    // typed before hydration, text would be reset by it: the submit button is enabled once hydrated
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(stack.admin.email);
    await p.tid('login-password').fill(stack.admin.password);
    await p.tid('login-submit').click();
    await p.page.waitForURL((url) => url.pathname === '/admin');
  }

  it('the first visit follows Accept-Language; no cookie and no Chinese browser means English', async () => {
    const zh = await ssrHtml('/login', { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
    expect(zh).toContain('<html lang="zh-CN"');
    expect(zh).toContain('登录 Tollgate');
    const zhTw = await ssrHtml('/login', { 'accept-language': 'zh-TW' });
    expect(zhTw).toContain('<html lang="zh-CN"');
    const en = await ssrHtml('/login', { 'accept-language': 'en-US,en;q=0.9' });
    expect(en).toContain('<html lang="en"');
    expect(en).toContain('Sign in to Tollgate');
    expect(await ssrHtml('/login', {})).toContain('<html lang="en"');
    // the cookie wins over the browser's languages
    const cookie = await ssrHtml('/login', { 'accept-language': 'en', cookie: 'tg_locale=zh-CN' });
    expect(cookie).toContain('<html lang="zh-CN"');
  });

  it('switches to 中文 on the sign-in page, signs in, and the pages stay Chinese across reloads', async () => {
    const p = await openPage(browser, stack.siteUrl);
    await p.page.goto(`${stack.siteUrl}/login`);
    expect(await lang(p)).toBe('en');
    expect(await h1(p)).toBe('Sign in to Tollgate');
    expect(await p.tid('locale-en').getAttribute('aria-pressed')).toBe('true');

    await Promise.all([p.page.waitForEvent('load'), p.tid('locale-zh-CN').click()]);
    expect(await lang(p)).toBe('zh-CN');
    expect(await h1(p)).toBe('登录 Tollgate');
    expect(await p.tid('locale-zh-CN').getAttribute('aria-pressed')).toBe('true');
    expect(await p.tid('login-submit').innerText()).toBe('登录');
    const cookies = await p.context.cookies(stack.siteUrl);
    expect(cookies.find((c) => c.name === 'tg_locale')?.value).toBe('zh-CN');
    // client-side validation messages come from the catalog too
    await p.tid('login-submit').click();
    await expect.poll(() => p.tid('error-message').innerText()).toBe('请输入邮箱地址。');
    await p.shot('i18n-zh-login');
    // and the server's answers that users meet most
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(stack.admin.email);
    await p.tid('login-password').fill('not the password');
    await p.tid('login-submit').click();
    await expect.poll(() => p.tid('error-message').innerText()).toBe('邮箱或密码错误。');

    await signIn(p);
    expect(await lang(p)).toBe('zh-CN');
    expect(await h1(p)).toBe('仪表盘');
    // the language picked while signed out is saved to the account once signed in
    await expect.poll(async () => (await admin.account.profile.query()).locale).toBe('zh-CN');

    await p.page.goto(`${stack.siteUrl}/admin/channels`);
    expect(await h1(p)).toBe('渠道');
    const header = await p.page.locator('thead').first().innerText();
    expect(header).toContain('优先级');
    expect(header).toContain('权重');
    const row = p.tid('channel-row').filter({ hasText: 'fake upstream for the i18n test' });
    expect(await row.innerText()).toContain('已启用');
    expect(await p.page.locator('.mainnav').innerText()).toContain('用户');
    await p.shot('i18n-zh-admin-channels');

    await p.page.goto(`${stack.siteUrl}/portal/tokens`);
    expect(await h1(p)).toBe('API 密钥');
    await p.tid('token-row').filter({ hasText: 'ci-server' }).waitFor();
    const keys = await p.page.locator('main').innerText();
    expect(keys).toContain('创建密钥');
    expect(keys).toContain('无限');
    // money and relative times in Chinese: "已用 $0.000042", "刚刚"
    expect(keys).toMatch(/已用 \$0\.\d+/);
    expect(keys).toContain('刚刚');
    expect(keys).not.toContain('Create key');
    await p.shot('i18n-zh-portal-keys');

    await p.page.reload();
    expect(await lang(p)).toBe('zh-CN');
    expect(await h1(p)).toBe('API 密钥');

    // dates in the Chinese form ("2025年5月3日")
    await p.page.goto(`${stack.siteUrl}/admin/users`);
    expect(await h1(p)).toBe('用户');
    await expect.poll(() => p.page.locator('main').innerText()).toMatch(/\d{4}年\d{1,2}月\d{1,2}日/);

    // the server already renders Chinese: nothing English to flash before hydration
    const cookie = (await p.context.cookies(stack.siteUrl)).map((c) => `${c.name}=${c.value}`).join('; ');
    const html = await ssrHtml('/admin/channels', { cookie, 'accept-language': 'en' });
    expect(html).toContain('<html lang="zh-CN"');
    expect(html).toContain('渠道');
    expect(html).not.toContain('Sign out');
    expect(p.problems).toEqual([]);
    await p.context.close();
  });

  it('a new browser gets the language saved on the account as soon as it signs in', async () => {
    const p = await openPage(browser, stack.siteUrl);
    await p.page.goto(`${stack.siteUrl}/login`);
    expect(await lang(p)).toBe('en');
    await signIn(p);
    expect(await lang(p)).toBe('zh-CN');
    expect(await h1(p)).toBe('仪表盘');
    expect((await p.context.cookies(stack.siteUrl)).find((c) => c.name === 'tg_locale')?.value).toBe('zh-CN');
    await p.context.close();
  });

  /** Fails when anything makes the page wider than the phone. */
  async function expectNoSidewaysScroll(p: TestPage, what: string) {
    const widths = await p.page.evaluate(() => ({
      doc: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
    }));
    expect([what, widths.doc <= 390 && widths.body <= 390]).toEqual([what, true]);
  }

  it('works on a 390 px phone: the nav folds into a menu, tables scroll inside their card', async () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const p = await openPage(browser, stack.siteUrl, { width: 390, height: 844 });
      await p.context.addCookies([{ name: 'tg_locale', value: locale, url: stack.siteUrl }]);
      await p.page.goto(`${stack.siteUrl}/login`);
      await expectNoSidewaysScroll(p, `${locale} login`);
      await signIn(p);
      expect(await lang(p)).toBe(locale);

      // the dashboard: cards stack, charts fit
      await p.page.locator('[data-testid="chart-requests"][data-ready="true"]').waitFor();
      await p.page.waitForTimeout(800);
      await expectNoSidewaysScroll(p, `${locale} admin dashboard`);
      await p.shot(`i18n-phone-${locale}-admin-dashboard`);

      // the section nav is behind the menu button
      expect(await p.page.locator('.mainnav').isVisible()).toBe(false);
      await p.tid('nav-toggle').click();
      expect(await p.tid('nav-toggle').getAttribute('aria-expanded')).toBe('true');
      await p.shot(`i18n-phone-${locale}-menu`);
      await expectNoSidewaysScroll(p, `${locale} open menu`);
      await p.page.locator('.mainnav a[href="/admin/channels"]').click();
      await p.page.waitForURL('**/admin/channels');
      await p.tid('channel-row').first().waitFor();
      // navigating closes the menu
      expect(await p.page.locator('.mainnav').isVisible()).toBe(false);
      await expectNoSidewaysScroll(p, `${locale} admin channels`);

      await p.page.goto(`${stack.siteUrl}/portal/tokens`);
      await p.tid('token-row').first().waitFor();
      await expectNoSidewaysScroll(p, `${locale} portal keys`);
      // the keys table is wider than the phone: it scrolls inside its card
      const table = await p.page.evaluate(() => {
        const wrap = document.querySelector('[data-testid="token-row"]')?.closest('.table-wrap');
        return wrap ? { scroll: wrap.scrollWidth, client: wrap.clientWidth } : null;
      });
      expect(table).not.toBeNull();
      expect(table!.client).toBeLessThanOrEqual(390);
      await p.shot(`i18n-phone-${locale}-portal-keys`);

      for (const path of [
        '/portal/docs',
        '/portal/usage',
        '/portal/account',
        '/admin/users',
        '/admin/logs',
      ]) {
        await p.page.goto(`${stack.siteUrl}${path}`);
        await p.page.locator('h1').first().waitFor();
        await p.page.waitForTimeout(300);
        await expectNoSidewaysScroll(p, `${locale} ${path}`);
      }
      expect(p.problems).toEqual([]);
      await p.context.close();
    }
  });

  it('switching back to English in the shell saves it on the account', async () => {
    const p = await openPage(browser, stack.siteUrl);
    await p.context.addCookies([{ name: 'tg_locale', value: 'zh-CN', url: stack.siteUrl }]);
    await p.page.goto(`${stack.siteUrl}/login`);
    await signIn(p);
    await p.page.goto(`${stack.siteUrl}/portal/tokens`);
    expect(await h1(p)).toBe('API 密钥');
    await Promise.all([p.page.waitForEvent('load'), p.tid('locale-en').click()]);
    expect(await lang(p)).toBe('en');
    expect(await h1(p)).toBe('API keys');
    expect(await p.page.locator('main').innerText()).toMatch(/\$0\.\d+ used/);
    expect((await admin.account.profile.query()).locale).toBe('en');
    expect((await p.context.cookies(stack.siteUrl)).find((c) => c.name === 'tg_locale')?.value).toBe('en');
    await p.shot('i18n-en-portal-keys');
    // 1280 px: the admin bar (eleven sections, language, account) fits on one row, in both languages
    for (const locale of ['en', 'zh-CN']) {
      await p.context.addCookies([{ name: 'tg_locale', value: locale, url: stack.siteUrl }]);
      await p.page.goto(`${stack.siteUrl}/admin/channels`);
      const bar = await p.page.evaluate(() => {
        const inner = document.querySelector('.topbar-inner')!;
        const nav = document.querySelector('.mainnav')!;
        const last = [...nav.querySelectorAll('a')].at(-1)!.getBoundingClientRect();
        const user = document.querySelector('.topbar-user')!.getBoundingClientRect();
        return {
          barOverflows: inner.scrollWidth > inner.clientWidth,
          navClipped: nav.scrollWidth > nav.clientWidth,
          oneRow: Math.round(last.top) === Math.round(nav.getBoundingClientRect().top) && user.right <= 1280,
        };
      });
      expect([locale, bar]).toEqual([locale, { barOverflows: false, navClipped: false, oneRow: true }]);
      await p.shot(`i18n-${locale === 'en' ? 'en' : 'zh'}-admin-channels-1280`);
    }
    expect(p.problems).toEqual([]);
    await p.context.close();
  });
});
