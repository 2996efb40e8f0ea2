import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage } from '../harness/browser.ts';
import { type PrivateMariaDb, startPrivateMariaDb } from '../harness/private-services.ts';
import { type HttpReceiver, startHttpReceiver } from '../harness/receivers.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

/**
 * The site while MySQL is down (SPEC §10, issue 8 "MySQL stopped"): real site + relay processes on a
 * MariaDB server of the test's own, which the test stops and starts. While it is down every page
 * answers 503 with the translated "database unavailable" page (no stack trace, no driver text), the
 * tRPC API a typed SERVICE_UNAVAILABLE error, /api/health 503; once it is back the same site process
 * serves pages again (no restart), and an open browser page recovers by itself. The site's alert
 * engine notices the outage itself: a "database unreachable" rule notifies a webhook while MySQL is
 * down, and the alert is in the history once it is back.
 */

const EN_TITLE = 'Database unavailable';
const EN_BODY =
  'Tollgate cannot reach its database. API requests with existing keys keep working; sign-in, top-ups and settings are unavailable until it is back.';
const ZH_TITLE = '数据库不可用';

describe('the site while MySQL is down', () => {
  let maria: PrivateMariaDb;
  let stack: Stack;
  let browser: Browser;
  let hook: HttpReceiver;
  let admin: SiteClient;
  let cookie = '';
  let mariaDown = false;

  /** Strings that would mean a driver error or a stack trace reached the visitor. */
  const leaks = () => [
    `127.0.0.1:${maria.port}`,
    String(maria.port),
    'ECONNREFUSED',
    'mysql://',
    '    at ',
    'node:net',
  ];
  const expectNoLeak = (text: string) => {
    for (const leak of leaks()) expect(text, `the answer contains "${leak}"`).not.toContain(leak);
  };

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.siteUrl}${path}`, { headers, redirect: 'manual' });

  async function stopMaria() {
    await maria.stop();
    mariaDown = true;
  }
  async function startMaria() {
    await maria.start();
    mariaDown = false;
  }

  beforeAll(async () => {
    maria = await startPrivateMariaDb();
    [stack, browser, hook] = await Promise.all([
      startStack('production', {}, { mysqlUrl: maria.serverUrl }),
      launchBrowser(),
      startHttpReceiver(),
    ]);
    // the outage alert, routed to a webhook: the site's job leader evaluates it every 15 s
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    const channel = await admin.alerts.createChannel.mutate({
      name: 'ops hook',
      type: 'webhook',
      config: { url: `${hook.url}/alerts` },
    });
    await admin.alerts.createRule.mutate({
      kind: 'database_unreachable',
      name: 'SQL down',
      params: { seconds: 1 },
      notificationChannelIds: [channel.id],
    });
    // a rule that fires at once (a model whose only channel is off) marks the engine's first
    // evaluation: from then on it holds the rules above in memory
    const off = await admin.channels.create.mutate({
      name: 'off',
      baseUrl: 'http://127.0.0.1:9',
      keys: ['sk-off'],
      models: ['outage-marker-model'],
    });
    await admin.channels.setStatus.mutate({ id: off.id, status: 'manual_disabled' });
    await admin.alerts.createRule.mutate({
      kind: 'no_channel',
      name: 'marker',
      notificationChannelIds: [channel.id],
    });
    await hook.waitFor(1, 30_000);
    expect(hook.received[0]!.json).toMatchObject({
      kind: 'no_channel',
      subject: 'model:outage-marker-model',
    });

    // the session cookie of a browser, for plain page requests
    const res = await fetch(`${stack.siteUrl}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tollgate-csrf': '1' },
      body: JSON.stringify(stack.admin),
    });
    expect(res.status).toBe(200);
    cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(cookie).toMatch(/tg_session=/);
  });

  afterAll(async () => {
    await browser?.close();
    await hook?.close();
    // the stack drops its database on the server: it must be running
    if (mariaDown) await maria.start().catch(() => undefined);
    await stack?.stop();
    await maria?.destroy();
  });

  it('an open admin page turns into the unavailable page on navigation, and recovers by itself', async () => {
    const p = await openPage(browser, stack.siteUrl);
    await p.page.goto(`${stack.siteUrl}/login`);
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(stack.admin.email);
    await p.tid('login-password').fill(stack.admin.password);
    await p.tid('login-submit').click();
    await p.page.waitForURL((u) => u.pathname.startsWith('/admin'));
    const nav = p.page.locator('a[href="/admin/channels"]').first();
    await nav.waitFor();
    // the dashboard has loaded its data: the outage starts now
    await p.page.waitForLoadState('networkidle');

    await stopMaria();
    // client-side navigation: no page load, the route guard and the page's tRPC calls meet the outage
    await nav.click();
    await p.tid('db-unavailable').waitFor({ timeout: 15_000 });
    expect(new URL(p.page.url()).pathname).toBe('/admin/channels');
    const text = await p.tid('db-unavailable').innerText();
    expect(text).toContain(EN_TITLE);
    expect(text).toContain(EN_BODY);
    expectNoLeak(await p.page.content());
    await p.shot('db-down-client-navigation');

    // a full page load in Chinese: the server's own 503 page
    await p.context.addCookies([{ name: 'tg_locale', value: 'zh-CN', url: stack.siteUrl }]);
    const res = await p.page.goto(`${stack.siteUrl}/admin/users`);
    expect(res?.status()).toBe(503);
    await p.tid('db-unavailable').waitFor();
    expect(await p.tid('db-unavailable').innerText()).toContain(ZH_TITLE);
    await p.shot('db-down-page-zh');

    // MySQL returns: the page polls /api/health, reloads itself and shows the admin page again
    await startMaria();
    await p.page.locator('[data-testid="user-row"]').first().waitFor({ timeout: 20_000 });
    expect(await p.tid('db-unavailable').count()).toBe(0);
    expect(new URL(p.page.url()).pathname).toBe('/admin/users');
    expect(p.problems.filter((m) => !/503|Service Unavailable/i.test(m))).toEqual([]);
    await p.context.close();
  });

  it('pages, tRPC, API routes and health answer 503 without driver text while MySQL is stopped', async () => {
    await stopMaria();
    // signed in or not, any page (the first request may be the one that finds out)
    for (const [path, headers] of [
      ['/admin', { cookie }],
      ['/portal/tokens', { cookie }],
      ['/login', {}],
      ['/register', {}],
      ['/', {}],
    ] as const) {
      const res = await get(path, headers);
      const html = await res.text();
      expect(res.status, `${path}: ${html.slice(0, 300)}`).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(html).toContain(EN_TITLE);
      expect(html).toContain(EN_BODY);
      expectNoLeak(html);
    }
    // Accept-Language picks the language when there is no cookie
    const zh = await get('/login', { 'accept-language': 'zh-CN,zh;q=0.9' });
    expect(zh.status).toBe(503);
    const zhHtml = await zh.text();
    expect(zhHtml).toContain(ZH_TITLE);
    expect(zhHtml).toContain('<html lang="zh-CN">');

    // tRPC: typed error, safe message
    const me = await get('/api/trpc/auth.me', { cookie });
    const meText = await me.text();
    expect(me.status).toBe(503);
    expect(me.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = JSON.parse(meText) as { error: { message: string; data: Record<string, unknown> } };
    expect(body.error.message).toBe('database unavailable');
    expect(body.error.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'database_unavailable' });
    expectNoLeak(meText);
    const login = await fetch(`${stack.siteUrl}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tollgate-csrf': '1' },
      body: JSON.stringify(stack.admin),
    });
    const loginText = await login.text();
    expect(login.status).toBe(503);
    expect(loginText).toContain('"reason":"database_unavailable"');
    expectNoLeak(loginText);

    // other API routes: JSON 503
    const csv = await get('/api/export/logs.csv', { cookie });
    expect(csv.status).toBe(503);
    expect(await csv.json()).toMatchObject({ error: { code: 'database_unavailable' } });

    const health = await get('/api/health');
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', database: 'down' });
  });

  it('the alert engine notifies "database unreachable" while MySQL is still down', async () => {
    // two evaluations (15 s apart) see SQL failing: the second one fires from the cached rule + channel
    const fired = () =>
      hook.received.filter(
        (r) => (r.json as { state?: string; kind?: string }).kind === 'database_unreachable',
      );
    const deadline = Date.now() + 50_000;
    while (fired().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(mariaDown).toBe(true);
    expect(fired().map((r) => (r.json as { state: string }).state)).toEqual(['fired']);
    expect(fired()[0]!.json).toMatchObject({ ruleName: 'SQL down', subject: 'sql' });
  }, 70_000);

  it('MySQL back: the same site process serves pages and the API again', async () => {
    const pid = stack.site.child.pid;
    await startMaria();
    // the site's probe (or this health request) finds the database again; the mysql2 pool reconnects
    const deadline = Date.now() + 15_000;
    let health = await get('/api/health');
    while (health.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      health = await get('/api/health');
    }
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'up', redis: 'up' });

    const adminPage = await get('/admin', { cookie });
    expect(adminPage.status).toBe(200);
    expect(await adminPage.text()).not.toContain(EN_TITLE);
    const me = await get('/api/trpc/auth.me', { cookie });
    expect(me.status).toBe(200);
    expect(await me.text()).toContain(stack.admin.email);
    expect((await get('/login')).status).toBe(200);
    expect(stack.site.child.pid).toBe(pid);
    expect(stack.site.child.exitCode).toBeNull();

    // the next evaluation resolves the outage alert and writes it, with its deliveries, to the history
    const resolved = () =>
      hook.received.some((r) => {
        const m = r.json as { state?: string; kind?: string };
        return m.kind === 'database_unreachable' && m.state === 'resolved';
      });
    const until = Date.now() + 30_000;
    while (!resolved() && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
    expect(resolved()).toBe(true);
    const history = await admin.alerts.history.query({});
    const row = history.find((e) => e.kind === 'database_unreachable');
    expect(row).toMatchObject({ state: 'resolved', subject: 'sql' });
    expect(row!.deliveries.map((d) => [d.state, d.ok])).toEqual([
      ['fired', true],
      ['resolved', true],
    ]);
  }, 60_000);

  it('the admin alerts page offers the outage rules (settlement backlog, database unreachable)', async () => {
    const p = await openPage(browser, stack.siteUrl);
    await p.page.goto(`${stack.siteUrl}/login`);
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(stack.admin.email);
    await p.tid('login-password').fill(stack.admin.password);
    await p.tid('login-submit').click();
    await p.page.waitForURL((u) => u.pathname.startsWith('/admin'));
    await p.page.goto(`${stack.siteUrl}/admin/alerts`);
    const form = p.tid('rule-form');
    const kind = form.locator('[data-testid="rule-kind"]');
    await kind.waitFor();
    await p.page.locator('[data-testid="rule-save"]:not([disabled])').waitFor();

    await kind.selectOption('settlement_backlog');
    expect(await form.locator('[data-testid="rule-param-thresholdEntries"]').inputValue()).toBe('10000');
    expect(await form.innerText()).toContain('Backlog entries above');
    await form.locator('[data-testid="rule-param-thresholdEntries"]').fill('5000');
    await form.locator('[data-testid="rule-save"]').click();
    const backlog = p.tid('rule-row').filter({ hasText: 'Backlog entries above = 5000' });
    await backlog.waitFor();
    expect(await backlog.innerText()).toContain('Settlement backlog (database outage)');

    await kind.selectOption('database_unreachable');
    expect(await form.innerText()).toContain('Unreachable for (seconds)');
    await form.locator('[data-testid="rule-save"]').click();
    const unreachable = p.tid('rule-row').filter({ hasText: 'Unreachable for (seconds) = 60' });
    await unreachable.waitFor();
    expect(await unreachable.innerText()).toContain('Database unreachable');
    await p.shot('admin-alerts-outage-rules');
    expect(p.problems).toEqual([]);
    await p.context.close();
  });
});
