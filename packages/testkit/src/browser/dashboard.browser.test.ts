import { randomBytes } from 'node:crypto';
import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, type TestPage } from '../harness/browser.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const DAY = 86_400_000;

/**
 * The dashboards in headless Chromium on the embedded default: log rows with known values go straight
 * into the stack's SQLite file, and the pages must show exactly those figures and draw their charts.
 */
describe('dashboards in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let db: Db;
  let admin: SiteClient;
  const customer = {
    email: `dash-${randomBytes(4).toString('hex')}@example.com`,
    password: 'dashboard-pass-1',
    id: 0,
  };
  let channelName: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack('embedded'), launchBrowser()]);
    db = createDb({ sql_dsn: undefined, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    channelName = `dash primary ${randomBytes(2).toString('hex')}`;
    const channel = await admin.channels.create.mutate({
      name: channelName,
      baseUrl: 'http://127.0.0.1:9/v1',
      keys: ['sk-upstream-dashboard-0001'],
      models: ['gpt-4o-mini', 'gpt-4o'],
    });
    const user = siteClient(stack.siteUrl);
    customer.id = (
      await user.auth.register.mutate({ email: customer.email, password: customer.password })
    ).userId;
    const laptop = (await user.tokens.create.mutate({ name: 'laptop' })).token.id;
    const server = (await user.tokens.create.mutate({ name: 'ci-server' })).token.id;
    // 2,500,000 units at the default 500,000 units per dollar: $5.00
    await admin.users.adjustBalance.mutate({
      userId: customer.id,
      amount: 2_500_000,
      reason: 'dashboard test',
    });

    // 40 successful calls (latency 10…400 ms, $0.05 each, upstream cost $0.02) and 8 failures, over 4 days
    const now = Date.now();
    const rows = [];
    for (let i = 1; i <= 48; i++) {
      const ok = i <= 40;
      rows.push({
        requestId: `dash-${randomBytes(8).toString('hex')}`,
        createdAt: now - (i % 4) * DAY - 60_000,
        kind: 'usage',
        userId: customer.id,
        tokenId: i % 3 === 0 ? server : laptop,
        model: i % 4 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
        channelId: channel.id,
        promptTokens: ok ? 1_200 : 0,
        cachedTokens: 0,
        completionTokens: ok ? 300 : 0,
        cost: ok ? 25_000 : 0,
        channelCost: ok ? 10_000 : 0,
        latencyMs: ok ? i * 10 : 30_000,
        statusCode: ok ? 200 : 502,
        errorCode: ok ? null : 'upstream_error',
      });
    }
    await db.db.insertInto('logs').values(rows).execute();
    // what settlement does beside the log rows: the user's lifetime spend
    await db.db.updateTable('users').set({ usedQuota: 1_000_000 }).where('id', '=', customer.id).execute();
  });

  afterAll(async () => {
    await db?.close();
    await browser?.close();
    await stack?.stop();
  });

  async function signIn(p: TestPage, email: string, password: string) {
    // the page in front: a background page gets no animation frames and its charts stop mid-animation
    await p.page.bringToFront();
    await p.page.goto(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(email);
    await p.tid('login-password').fill(password);
    await p.tid('login-submit').click();
  }

  /** Waits until the chart has drawn, and counts the painted pixels of its canvas. */
  async function paintedPixels(p: TestPage, testId: string): Promise<number> {
    await p.page.locator(`[data-testid="${testId}"][data-ready="true"] canvas`).waitFor();
    // Chart.js animates the first draw; let it settle
    await p.page.waitForTimeout(1_200);
    return p.page.evaluate((id) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"] canvas`);
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx || canvas.width === 0) return 0;
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
      return painted;
    }, testId);
  }

  const value = (p: TestPage, id: string) => p.tid(`${id}-value`).innerText();

  it('an admin lands on /admin and sees the inserted totals, the charts and the tables', async () => {
    const p = await openPage(browser, stack.siteUrl, { width: 1360, height: 900 });
    await signIn(p, stack.admin.email, stack.admin.password);
    await p.page.waitForURL((url) => url.pathname === '/admin');
    await expect.poll(() => value(p, 'stat-requests')).toBe('48');
    expect(await value(p, 'stat-error-rate')).toBe('16.7%');
    // nearest rank over 10…400 ms: the 20th and the 38th value
    expect(await value(p, 'stat-latency')).toBe('200 ms / 380 ms');
    expect(await value(p, 'stat-tokens')).toBe('60K');
    expect(await value(p, 'stat-revenue')).toBe('$2.00');
    expect(await value(p, 'stat-cost')).toBe('$0.80');
    expect(await value(p, 'stat-margin')).toBe('$1.20');
    expect(await p.tid('stat-margin').innerText()).toContain('60.0%');
    expect(await value(p, 'stat-users')).toBe('1');

    for (const chart of ['chart-requests', 'chart-money', 'chart-models'])
      expect([chart, (await paintedPixels(p, chart)) > 500]).toEqual([chart, true]);

    const top = p.tid('top-user-row').first();
    expect(await top.innerText()).toContain(customer.email);
    expect(await top.innerText()).toContain('$2.00');
    const channelRow = p.tid('channel-stat-row').filter({ hasText: channelName });
    expect(await channelRow.innerText()).toContain('16.7%');
    await p.shot('admin-dashboard');

    // the last 7 days hold every row; an old custom range holds none
    await p.tid('range-7').click();
    await expect.poll(() => p.tid('range-7').getAttribute('class')).toContain('active');
    await expect.poll(() => value(p, 'stat-requests')).toBe('48');
    await p.tid('range-custom').click();
    await p.tid('range-from').fill('2020-01-01');
    await p.tid('range-to').fill('2019-12-01');
    await p.tid('range-apply').click();
    await p.tid('range-error').waitFor();
    await p.tid('range-to').fill('2020-01-31');
    await p.tid('range-apply').click();
    await expect.poll(() => value(p, 'stat-requests')).toBe('0');
    expect(await value(p, 'stat-error-rate')).toBe('—');
    await p.page.getByText('No requests in this range.').first().waitFor();

    // the older pages still work from the nav
    await p.page.locator('.mainnav a', { hasText: 'Channels' }).click();
    await p.page.waitForURL('**/admin/channels');
    await p.tid('channel-row').filter({ hasText: channelName }).waitFor();
    expect(p.problems).toEqual([]);
    await p.context.close();
  });

  it('a user sees their balance and their own usage by day, model and key; /admin stays closed', async () => {
    const p = await openPage(browser, stack.siteUrl, { width: 1360, height: 900 });
    await signIn(p, customer.email, customer.password);
    await p.page.waitForURL('**/portal/tokens');
    await p.page.locator('.mainnav a', { hasText: 'Dashboard' }).click();
    await p.page.waitForURL('**/portal/dashboard');
    await expect.poll(() => value(p, 'stat-balance')).toBe('$5.00');
    expect(await p.tid('stat-balance').innerText()).toContain('2,500,000');
    expect(await value(p, 'stat-spent')).toBe('$2.00');
    expect(await p.tid('stat-spent').innerText()).toContain('$2.00 spent since you joined');
    expect(await value(p, 'stat-my-requests')).toBe('48');
    expect(await p.tid('stat-my-requests').innerText()).toContain('8 failed');
    for (const chart of ['chart-my-spend', 'chart-my-requests', 'chart-my-models', 'chart-my-keys'])
      expect([chart, (await paintedPixels(p, chart)) > 500]).toEqual([chart, true]);
    const keys = await p.tid('my-key-row').allInnerTexts();
    expect(keys).toHaveLength(2);
    expect(keys.join('\n')).toContain('laptop');
    expect(keys.join('\n')).toContain('ci-server');
    await p.shot('portal-dashboard');

    const cookie = (await p.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const direct = await fetch(`${stack.siteUrl}/admin`, { redirect: 'manual', headers: { cookie } });
    expect(direct.status).toBe(302);
    expect(direct.headers.get('location')).toBe('/portal/tokens');
    expect(p.problems).toEqual([]);
    await p.context.close();
  });

  it('a user with no traffic gets an empty dashboard, not someone else’s numbers', async () => {
    const other = siteClient(stack.siteUrl);
    const email = `dash-empty-${randomBytes(4).toString('hex')}@example.com`;
    await other.auth.register.mutate({ email, password: 'dashboard-pass-2' });
    const p = await openPage(browser, stack.siteUrl);
    await signIn(p, email, 'dashboard-pass-2');
    await p.page.waitForURL('**/portal/tokens');
    await p.page.goto(`${stack.siteUrl}/portal/dashboard`);
    await expect.poll(() => value(p, 'stat-my-requests')).toBe('0');
    expect(await value(p, 'stat-spent')).toBe('$0.00');
    expect(await p.page.content()).not.toContain(customer.email);
    await p.page.getByText('No requests in this range.').first().waitFor();
    await p.shot('portal-dashboard-empty');
    expect(p.problems).toEqual([]);
    await p.context.close();
  });
});
