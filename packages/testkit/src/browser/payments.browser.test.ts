import {
  type FakeLemonSqueezy,
  startFakeLemonSqueezy,
} from '@tollgate/control-plane/testing/fake-lemonsqueezy.ts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage } from '../harness/browser.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const SECRET = 'browser-webhook-secret-1';

/** The Portal's top-up in a real browser: amount → hosted (fake) checkout → Pay → return page → balance. */
describe('top-up in the browser', () => {
  let stack: Stack;
  let browser: Browser;
  let fake: FakeLemonSqueezy;
  let admin: SiteClient;

  beforeAll(async () => {
    fake = await startFakeLemonSqueezy();
    [stack, browser] = await Promise.all([
      startStack('embedded', { TOLLGATE_LEMONSQUEEZY_API_URL: fake.url }),
      launchBrowser(),
    ]);
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    const view = await admin.payments.setSettings.mutate({
      enabled: true,
      apiKey: 'ls-browser-key-0123456789',
      storeId: '1',
      variantId: '2',
      webhookSecret: SECRET,
      amounts: [500, 2000],
    });
    fake.configure({ webhookUrl: `${stack.siteUrl}${view.webhookPath}`, secret: SECRET });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await fake?.close();
  });

  it('a user tops up $20 and sees the new balance on screen', async () => {
    const email = `buyer-${Date.now()}@example.com`;
    const user = siteClient(stack.siteUrl);
    await user.auth.register.mutate({ email, password: 'buyer-pass-1' });
    const p = await openPage(browser, stack.siteUrl);
    await p.page.goto(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(email);
    await p.tid('login-password').fill('buyer-pass-1');
    await p.tid('login-submit').click();
    await p.page.waitForURL((url) => url.pathname.startsWith('/portal'));
    await p.page.goto(`${stack.siteUrl}/portal/topup`);
    await expect.poll(() => p.tid('topup-balance').textContent()).toBe('$0.00');
    // a click before hydration is lost: choose until the Pay button is live
    await expect
      .poll(async () => {
        await p.tid('topup-amount-2000').click();
        return p.tid('topup-pay').isEnabled();
      })
      .toBe(true);
    await p.tid('topup-pay').click();
    await p.page.waitForURL(new RegExp(`^${fake.url}/checkout/`));
    const checkout = fake.checkouts.at(-1)!;
    expect(checkout.body.data.attributes.custom_price).toBe(2000);
    await p.shot('payments-fake-checkout');
    await p.tid('fake-pay').click();
    await p.page.waitForURL(/\/portal\/topup\/return\?topup=\d+/);
    await expect
      .poll(() => p.tid('topup-status').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('paid');
    expect(await p.tid('topup-balance').textContent()).toBe('$20.00');
    await p.shot('payments-return-paid');
    await p.page.goto(`${stack.siteUrl}/portal/topup`);
    await expect.poll(() => p.tid('topup-balance').textContent()).toBe('$20.00');
    await expect.poll(() => p.tid('topup-history').locator('tbody tr').count()).toBe(1);
    await p.shot('payments-topup-page');
    expect(p.problems).toEqual([]);
    await p.context.close();
  });

  it('the admin payment page never shows the secrets; codes are generated and redeemed in the Portal', async () => {
    const p = await openPage(browser, stack.siteUrl, { width: 1400, height: 900 });
    await p.page.goto(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(stack.admin.email);
    await p.tid('login-password').fill(stack.admin.password);
    await p.tid('login-submit').click();
    await p.page.waitForURL((url) => url.pathname.startsWith('/admin'));
    await p.page.goto(`${stack.siteUrl}/admin/payments`);
    await expect
      .poll(() => p.tid('ls-webhook-url').textContent())
      .toBe(`${stack.siteUrl}/api/payments/lemonsqueezy/webhook`);
    const html = await p.page.content();
    expect(html).not.toContain(SECRET);
    expect(html).not.toContain('ls-browser-key-0123456789');
    expect(await p.tid('ls-api-key').inputValue()).toBe('');
    await p.shot('payments-admin');
    await p.page.goto(`${stack.siteUrl}/admin/codes`);
    await p.tid('codes-count').fill('3');
    await p.tid('codes-value').fill('2.5');
    await p.tid('codes-generate').click();
    await expect.poll(() => p.tid('codes-generated').isVisible()).toBe(true);
    const codes =
      ((await p.page.locator('.code-list').textContent()) ?? '').match(/TG(-[0-9A-Z]{4}){4}/g) ?? [];
    expect(codes).toHaveLength(3);
    await p.shot('payments-codes');
    await p.context.close();

    const u = await openPage(browser, stack.siteUrl);
    const email = `redeemer-${Date.now()}@example.com`;
    await siteClient(stack.siteUrl).auth.register.mutate({ email, password: 'redeem-pass-1' });
    await u.page.goto(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await u.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await u.tid('login-email').fill(email);
    await u.tid('login-password').fill('redeem-pass-1');
    await u.tid('login-submit').click();
    await u.page.waitForURL((url) => url.pathname.startsWith('/portal'));
    await u.page.goto(`${stack.siteUrl}/portal/topup`);
    await expect.poll(() => u.tid('topup-balance').textContent()).toBe('$0.00');
    await u.tid('redeem-code').fill(codes[0]!);
    await u.tid('redeem-submit').click();
    await expect.poll(() => u.tid('topup-balance').textContent()).toBe('$2.50');
    await u.page.goto(`${stack.siteUrl}/portal/statements`);
    await expect.poll(() => u.tid('statement-closing').textContent()).toBe('$2.50');
    await u.shot('payments-statement');
    expect(u.problems).toEqual([]);
    await u.context.close();
  });
});
