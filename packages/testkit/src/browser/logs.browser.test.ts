import { join } from 'node:path';
import { type LogSeed, seedLogs } from '@tollgate/control-plane/modules/logs/logs.fixtures.ts';
import { createDb } from '@tollgate/shared/db/index.ts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, launchBrowser, openPage } from '../harness/browser.ts';
import { siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

/** The request log pages in headless Chromium: admin filters and opens a row; a user sees their own. */
describe('request logs in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  const email = `logs-${Date.now()}@example.com`;
  const password = 'logs-user-pass-1';

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack('embedded'), launchBrowser()]);
    const user = siteClient(stack.siteUrl);
    const { userId: id } = await user.auth.register.mutate({ email, password });
    const key = (await user.tokens.create.mutate({ name: 'browser key' })).token.id;
    const admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate({ email: stack.admin.email, password: stack.admin.password });
    const channel = await admin.channels.create.mutate({
      name: 'primary upstream',
      baseUrl: 'https://upstream.example.test/v1',
      keys: ['sk-upstream-browser-logs'],
      models: ['*'],
    });
    const now = Date.now();
    const rows: LogSeed[] = Array.from({ length: 80 }, (_, i) => ({
      userId: id,
      tokenId: key,
      channelId: channel.id,
      requestId: `req_browser_${i}`,
      createdAt: now - i * 60_000,
      model: i % 4 === 0 ? 'claude-3-haiku' : 'gpt-4o-mini',
      statusCode: i % 10 === 3 ? 429 : 200,
      errorCode: i % 10 === 3 ? 'rate_limited' : null,
      cost: 1_250 * (i + 1),
      channelCost: 500 * (i + 1),
      ttftMs: i % 2 ? 180 : null,
      isStream: i % 2,
      note: i === 0 ? 'client aborted' : null,
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

  it('admin filters the logs, pages, opens a row; the user sees only their usage', async () => {
    const admin = await openPage(browser, stack.siteUrl, { width: 1400, height: 900 });
    await admin.page.goto(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await admin.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await admin.tid('login-email').fill(stack.admin.email);
    await admin.tid('login-password').fill(stack.admin.password);
    await admin.tid('login-submit').click();
    await admin.page.waitForURL((url) => url.pathname.startsWith('/admin'));
    await admin.page.locator('nav.mainnav a[href="/admin/logs"]').click();
    await admin.page.waitForURL('**/admin/logs');
    await admin.tid('log-row').first().waitFor();
    expect(await admin.tid('log-row').count()).toBe(50);
    expect(await admin.tid('logs-page-info').textContent()).toContain('80');
    await admin.page.evaluate(() => window.scrollTo(0, 0));
    await admin.tid('logs-next').click();
    await expect.poll(() => admin.tid('log-row').count()).toBe(30);
    await admin.shot('admin-logs-page-2');

    await admin.tid('logs-filter-model').fill('claude-3-haiku');
    await admin.tid('logs-filter-status').selectOption('ok');
    await admin.tid('logs-apply').click();
    await expect.poll(() => admin.tid('log-row').count()).toBe(20);
    expect(await admin.tid('logs-page-info').textContent()).toContain('20');
    const href = await admin.tid('logs-export').getAttribute('href');
    expect(href).toBe('/api/export/logs.csv?model=claude-3-haiku&status=ok');
    await admin.page.evaluate(() => window.scrollTo(0, 0));
    await admin.shot('admin-logs-filtered');

    await admin.tid('log-row').first().click();
    const detail = admin.tid('log-detail');
    await detail.waitFor();
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('req_browser_0');
    expect(text).toContain(email);
    expect(text).toContain('client aborted');
    expect(text).toContain('$0.0025');
    expect(text).toMatch(/Channel cost/);
    expect(text).toContain('primary upstream');
    // the drawer is fixed to the viewport: a viewport shot shows it as people see it
    await admin.page.screenshot({ path: join(artifactsDir, 'admin-log-detail.png') });
    await admin.page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });

    const user = await openPage(browser, stack.siteUrl);
    await user.page.goto(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await user.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await user.tid('login-email').fill(email);
    await user.tid('login-password').fill(password);
    await user.tid('login-submit').click();
    await user.page.waitForURL((url) => url.pathname.startsWith('/portal'));
    await user.page.goto(`${stack.siteUrl}/portal/usage`);
    await user.tid('usage-row').first().waitFor();
    expect(await user.tid('usage-row').count()).toBe(50);
    await user.tid('usage-row').nth(3).click();
    const mine = (await user.tid('log-detail').textContent()) ?? '';
    expect(mine).toContain('req_browser_3');
    expect(mine).toContain('rate_limited');
    expect(mine).not.toMatch(/Channel cost|Upstream model/);
    expect(mine).not.toContain('primary upstream');
    await user.page.screenshot({ path: join(artifactsDir, 'portal-usage-detail.png') });
    expect([...admin.problems, ...user.problems]).toEqual([]);
  });
});
