import { totpCode } from '@tollgate/control-plane/modules/auth/totp.ts';
import { type LogSeed, seedLogs } from '@tollgate/control-plane/modules/logs/logs.fixtures.ts';
import { createDb } from '@tollgate/shared/db/index.ts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, type TestPage } from '../harness/browser.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

/**
 * The admin's user detail page and two-factor sign-in, in headless Chromium against real site + relay
 * processes (embedded SQLite): open a user, change the group, adjust the balance and see it in the
 * ledger, see their keys as masks and disable them all; turn TOTP on for the admin, sign out, sign in
 * with a code computed here from the secret the page showed.
 */
describe('admin user detail and two-factor sign-in in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let admin: SiteClient;
  let customer: SiteClient;
  let customerId: number;
  let plainKey: string;
  let keyMask: string;
  const email = `detail-${Date.now()}@example.com`;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack('embedded'), launchBrowser()]);
    customer = siteClient(stack.siteUrl);
    const reg = await customer.auth.register.mutate({ email, password: 'detail-user-pass-1' });
    customerId = reg.userId;
    const created = await customer.tokens.create.mutate({ name: 'production key' });
    plainKey = created.key;
    keyMask = created.token.keyMask;
    await customer.tokens.create.mutate({ name: 'staging key' });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    await admin.groups.create.mutate({ name: 'vip', multiplier: '1.5' });
    const now = Date.now();
    const rows: LogSeed[] = Array.from({ length: 3 }, (_, i) => ({
      userId: customerId,
      tokenId: created.token.id,
      requestId: `req_detail_${i}`,
      createdAt: now - i * 60_000,
      model: 'gpt-4o-mini',
      statusCode: 200,
      cost: 2_500 * (i + 1),
      promptTokens: 100,
      completionTokens: 20,
    }));
    const db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    try {
      await seedLogs({ db }, rows);
    } finally {
      await db.close();
    }
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function signIn(p: TestPage) {
    await p.page.goto(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(stack.admin.email);
    await p.tid('login-password').fill(stack.admin.password);
    await p.tid('login-submit').click();
  }

  /** full-page screenshots from the top, so the sticky header is where it belongs */
  async function shot(p: TestPage, name: string) {
    await p.page.evaluate(async () => {
      for (const el of document.querySelectorAll('.table-wrap')) el.scrollLeft = 0;
      window.scrollTo({ top: 0, behavior: 'instant' });
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    });
    await p.shot(name);
  }

  it('admin opens a user, changes the group, adjusts the balance, sees the keys and disables them', async () => {
    const p = await openPage(browser, stack.siteUrl, { width: 1280, height: 900 });
    await signIn(p);
    await p.page.waitForURL((u) => u.pathname.startsWith('/admin'));
    await p.page.goto(`${stack.siteUrl}/admin/users`);
    await p.tid('users-search').fill(email);
    await p.tid('users-search-submit').click();
    await p.tid('users-page-info').filter({ hasText: '· 1 users' }).waitFor();
    expect(await p.tid('user-row').count()).toBe(1);
    await p.tid('user-link').filter({ hasText: email }).click();
    await p.page.waitForURL(`${stack.siteUrl}/admin/users/${customerId}`);
    await p.tid('user-email').filter({ hasText: email }).waitFor();
    expect(await p.tid('user-group').innerText()).toBe('default');
    expect(await p.tid('user-balance').innerText()).toBe('$0.00');

    // keys: masks only, never the key
    await p.tid('user-key-row').first().waitFor();
    expect(await p.tid('user-key-row').count()).toBe(2);
    expect(await p.tid('user-keys').innerText()).toContain(keyMask);
    expect(await p.page.content()).not.toContain(plainKey);
    // recent requests from the logs
    await p.tid('user-usage-row').first().waitFor();
    expect(await p.tid('user-usage-row').count()).toBe(3);
    await shot(p, 'admin-user-detail');

    // group
    await p.tid('user-edit-group').selectOption('vip');
    await p.tid('user-edit-submit').click();
    await p.tid('success-message').filter({ hasText: 'Changes saved' }).waitFor();
    await p.tid('user-group').filter({ hasText: 'vip' }).waitFor();
    expect((await admin.users.get.query({ id: customerId })).groupName).toBe('vip');

    // balance: a reason is required, then +$12.50 lands in the balance and the ledger
    await p.tid('balance-amount').fill('12.5');
    await p.page.getByText('6,250,000 units').waitFor();
    await p.tid('balance-submit').click();
    await p.tid('error-message').filter({ hasText: 'reason is required' }).waitFor();
    expect((await admin.users.get.query({ id: customerId })).balance).toBe(0);
    await p.tid('balance-reason').fill('goodwill for the outage');
    await p.tid('balance-submit').click();
    await p.tid('success-message').filter({ hasText: 'it is now $12.50' }).waitFor();
    await p.tid('user-balance').filter({ hasText: '$12.50' }).waitFor();
    const entry = p.tid('ledger-row').filter({ hasText: 'goodwill for the outage' });
    await entry.waitFor();
    expect(await entry.innerText()).toContain('+$12.50');
    expect(await entry.innerText()).toContain(stack.admin.email);
    expect((await admin.users.get.query({ id: customerId })).balance).toBe(6_250_000);

    // a deduction
    await p.tid('balance-direction').selectOption('debit');
    await p.tid('balance-amount').fill('2.5');
    await p.tid('balance-reason').fill('charge back');
    await p.tid('balance-submit').click();
    await p.tid('user-balance').filter({ hasText: '$10.00' }).waitFor();
    expect(await p.tid('ledger-row').first().innerText()).toContain('-$2.50');

    // the customer's own view agrees: their keys stop with "disable all"
    await p.tid('user-keys-disable-all').click();
    await p.tid('success-message').filter({ hasText: '2 keys disabled' }).waitFor();
    await p.tid('user-key-status').filter({ hasText: 'Disabled' }).nth(1).waitFor();
    expect(await p.tid('user-key-status').filter({ hasText: 'Enabled' }).count()).toBe(0);
    expect((await customer.tokens.list.query()).map((k) => k.status)).toEqual(['disabled', 'disabled']);
    expect(await p.tid('user-keys-disable-all').isDisabled()).toBe(true);
    await shot(p, 'admin-user-detail-after');

    // a phone-sized screen still shows everything in one column
    await p.page.setViewportSize({ width: 390, height: 844 });
    await p.tid('user-balance').waitFor();
    await shot(p, 'admin-user-detail-phone');
    expect(p.problems).toEqual([]);
  });

  it('channels: Clone makes a disabled copy with the same keys, never showing them', async () => {
    const upstreamKey = 'sk-upstream-clone-secret-0123456789';
    await admin.channels.create.mutate({
      name: 'Primary upstream',
      baseUrl: 'https://upstream.example.test/v1',
      keys: [upstreamKey],
      models: ['gpt-4o-mini'],
    });
    const p = await openPage(browser, stack.siteUrl);
    await signIn(p);
    await p.page.waitForURL((u) => u.pathname.startsWith('/admin'));
    await p.page.goto(`${stack.siteUrl}/admin/channels`);
    const row = p.tid('channel-row').filter({ hasText: 'Primary upstream' });
    await row.first().waitFor();
    await row.first().locator('[data-testid="channel-clone"]').click();
    await p.tid('success-message').filter({ hasText: 'Primary upstream (copy)' }).waitFor();
    const copy = p.tid('channel-row').filter({ hasText: 'Primary upstream (copy)' });
    await copy.waitFor();
    expect(await copy.locator('[data-testid="channel-status"]').innerText()).toBe('Disabled');
    expect(await p.page.content()).not.toContain(upstreamKey);
    await shot(p, 'admin-channels-clone');
    const channels = await admin.channels.list.query();
    expect(channels.filter((c) => c.name.startsWith('Primary upstream'))).toHaveLength(2);
    expect(p.problems).toEqual([]);
  });

  it('admin turns on two-factor sign-in, signs out, and signs in with a code from the secret', async () => {
    const p = await openPage(browser, stack.siteUrl);
    await signIn(p);
    await p.page.waitForURL((u) => u.pathname.startsWith('/admin'));
    await p.page.goto(`${stack.siteUrl}/admin/security`);
    await p.tid('totp-state').filter({ hasText: 'Off' }).waitFor();
    await p.tid('totp-setup').click();
    await p.tid('totp-qr').waitFor();
    const secret = (await p.tid('totp-secret').innerText()).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await shot(p, 'admin-security-totp-setup');
    await p.tid('totp-code').fill('000000' === totpCode(secret) ? '111111' : '000000');
    await p.tid('totp-enable').click();
    await p.tid('error-message').filter({ hasText: 'not right' }).waitFor();
    await p.tid('totp-code').fill(totpCode(secret));
    await p.tid('totp-enable').click();
    await p.tid('totp-state').filter({ hasText: 'On' }).waitFor();
    await p.tid('totp-since').waitFor();
    await shot(p, 'admin-security-totp-on');

    await p.tid('nav-signout').click();
    await p.page.waitForURL(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(stack.admin.email);
    await p.tid('login-password').fill(stack.admin.password);
    await p.tid('login-submit').click();
    await p.tid('login-totp').waitFor();
    expect(new URL(p.page.url()).pathname).toBe('/login');
    await shot(p, 'login-totp');
    // a wrong code is refused, the page stays on the code step
    await p.tid('login-totp').fill(totpCode(secret, Date.now() - 10 * 60_000));
    await p.tid('login-submit').click();
    await p.tid('error-message').filter({ hasText: 'two-factor code' }).waitFor();
    // the step the enable used is spent: the next step's code is inside the ±1 window and unused
    await p.tid('login-totp').fill(totpCode(secret, Date.now() + 30_000));
    await p.tid('login-submit').click();
    await p.page.waitForURL((u) => u.pathname.startsWith('/admin'));
    await p.page.goto(`${stack.siteUrl}/admin/security`);
    await p.tid('totp-state').filter({ hasText: 'On' }).waitFor();

    // an API client without the code gets the typed answer, not a session
    const bare = siteClient(stack.siteUrl);
    expect(await bare.auth.login.mutate(stack.admin)).toEqual({ totpRequired: true });
    expect(await bare.auth.me.query()).toBeNull();
    expect(p.problems).toEqual([]);
  });
});
