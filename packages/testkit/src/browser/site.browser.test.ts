import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { launchBrowser, openPage } from '../harness/browser.ts';
import { type Stack, startStack } from '../harness/stack.ts';

/** The site in headless Chromium against real site + relay processes on the embedded default. */
describe('site in a real browser', () => {
  let stack: Stack;
  let upstream: FakeUpstream;
  let browser: Browser;

  beforeAll(async () => {
    [upstream, stack, browser] = await Promise.all([
      startFakeUpstream(),
      startStack('embedded'),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await upstream?.close();
  });

  it('admin signs in and creates a channel; a user registers, creates and copies a key that calls the relay', async () => {
    const admin = await openPage(browser, stack.siteUrl);
    await admin.page.goto(`${stack.siteUrl}/admin/channels`);
    expect(new URL(admin.page.url()).pathname).toBe('/login');
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await admin.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await admin.tid('login-email').fill(stack.admin.email);
    await admin.tid('login-password').fill('not the password');
    await admin.tid('login-submit').click();
    await expect.poll(() => admin.tid('error-message').isVisible()).toBe(true);
    await admin.shot('login-error');
    await admin.tid('login-password').fill(stack.admin.password);
    await admin.tid('login-submit').click();
    // admins land on the dashboard
    await admin.page.waitForURL((url) => url.pathname === '/admin');
    await admin.page.goto(`${stack.siteUrl}/admin/channels`);
    await admin.tid('channel-name').fill('fake upstream');
    await admin.tid('channel-base-url').fill(upstream.url);
    await admin.tid('channel-keys').fill('sk-upstream-browser-test-key');
    await admin.tid('channel-models').fill('gpt-4o-mini');
    await admin.tid('channel-submit').click();
    await admin.tid('channel-row').filter({ hasText: 'fake upstream' }).waitFor();
    const rowText = await admin.tid('channel-row').first().innerText();
    expect(rowText).toContain('gpt-4o-mini');
    expect(await admin.page.content()).not.toContain('sk-upstream-browser-test-key');
    await admin.shot('admin-channels');

    const user = await openPage(browser, stack.siteUrl);
    const email = `browser-${Date.now()}@example.com`;
    await user.page.goto(`${stack.siteUrl}/register`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await user.page.locator('[data-testid="register-submit"]:not([disabled])').waitFor();
    await user.tid('register-email').fill(email);
    await user.tid('register-password').fill('browser-pass-123');
    await user.tid('register-submit').click();
    await user.page.waitForURL('**/portal/tokens');
    await user.tid('token-empty').waitFor();
    await user.shot('portal-tokens-empty');
    await user.tid('token-name').fill('browser key');
    await user.tid('token-create').click();
    await user.tid('token-new-key').waitFor();
    const key = (await user.tid('token-new-key-value').innerText()).trim();
    expect(key).toMatch(/^sk-1[0-9A-Za-z]{44}$/);
    const row = user.tid('token-row').filter({ hasText: 'browser key' });
    await row.waitFor();
    // listed masked, never in full
    expect(await row.innerText()).not.toContain(key);
    await row.locator('[data-testid="token-copy"]').click();
    await row.getByText('Copied').waitFor();
    const copied = await user.page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(key);
    await user.shot('portal-tokens');

    const openai = new OpenAI({ apiKey: copied, baseURL: `${stack.relayUrl}/v1`, maxRetries: 0 });
    let answer: string | null | undefined;
    for (let i = 0; i < 40 && answer === undefined; i++) {
      try {
        const r = await openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        });
        answer = r.choices[0]?.message.content;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(answer).toContain('hello');

    // a user typing an admin URL is sent away, server-side, without admin content
    await user.page.goto(`${stack.siteUrl}/admin/channels`);
    expect(new URL(user.page.url()).pathname).toBe('/portal/tokens');
    expect(await user.page.content()).not.toContain('fake upstream');
    const direct = await fetch(`${stack.siteUrl}/admin/channels`, {
      redirect: 'manual',
      headers: { cookie: (await user.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') },
    });
    expect(direct.status).toBe(302);
    expect(direct.headers.get('location')).toBe('/portal/tokens');

    await admin.page.goto(`${stack.siteUrl}/admin/users`);
    await admin.tid('user-row').filter({ hasText: email }).waitFor();
    await admin.shot('admin-users');
    expect([...admin.problems, ...user.problems]).toEqual([]);
  });
});
