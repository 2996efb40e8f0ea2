import { createHmac } from 'node:crypto';
import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { launchBrowser, openPage, type TestPage } from '../harness/browser.ts';
import { type HttpReceiver, startHttpReceiver } from '../harness/receivers.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

/**
 * `/admin/alerts` and the health column of `/admin/channels` in headless Chromium against real site +
 * relay processes (embedded SQLite): a generic webhook channel added in the page delivers a signed test
 * message to a local receiver, a rule routed to it is created, and "Test now" on a channel pointing at
 * the fake upstream shows the measured latency.
 */
describe('alerts and channel health in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let db: Db;
  let fake: FakeUpstream;
  let hook: HttpReceiver;
  let admin: SiteClient;

  beforeAll(async () => {
    [stack, browser, fake, hook] = await Promise.all([
      startStack('embedded'),
      launchBrowser(),
      startFakeUpstream(),
      startHttpReceiver(),
    ]);
    db = createDb({ sql_dsn: undefined, data_dir: stack.env.TOLLGATE_DATA_DIR! });
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
  });
  afterAll(async () => {
    await db?.close();
    await browser?.close();
    await stack?.stop();
    await fake?.close();
    await hook?.close();
  });

  async function signIn(): Promise<TestPage> {
    const p = await openPage(browser, stack.siteUrl);
    await p.page.goto(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await p.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await p.tid('login-email').fill(stack.admin.email);
    await p.tid('login-password').fill(stack.admin.password);
    await p.tid('login-submit').click();
    await p.page.waitForURL((u) => u.pathname.startsWith('/admin'));
    return p;
  }

  /** full-page screenshots from the top, so the sticky header is where it belongs */
  async function shot(p: TestPage, name: string) {
    await p.page.evaluate(() => window.scrollTo(0, 0));
    await p.shot(name);
  }

  it('adds a webhook channel, sends a signed test to the receiver, and creates a rule routed to it', async () => {
    const p = await signIn();
    await p.page.goto(`${stack.siteUrl}/admin/alerts`);
    await p.tid('alert-rules').getByText('No rules yet').waitFor();
    await p.tid('alert-channels').getByText('Add a notification channel').waitFor();

    // a generic webhook: URL and signing secret are secrets (password inputs, shown masked afterwards)
    const secret = 'browser-hook-secret-123';
    await p.tid('notifier-type').selectOption('webhook');
    await p.tid('notifier-name').fill('ops webhook');
    await p.tid('notifier-field-url').fill(`${hook.url}/tollgate-alerts`);
    await p.tid('notifier-field-secret').fill(secret);
    expect(await p.tid('notifier-field-url').getAttribute('type')).toBe('password');
    await p.tid('notifier-save').click();
    await p.tid('success-message').filter({ hasText: 'ops webhook' }).waitFor();
    const row = p.tid('notifier-row').filter({ hasText: 'ops webhook' });
    await row.waitFor();
    // the stored URL and secret are not shown in clear
    // the form is empty again: the typed secrets do not stay in the page
    expect(await p.tid('notifier-name').inputValue()).toBe('');
    expect(await p.tid('notifier-field-url').inputValue()).toBe('');
    expect(await p.tid('notifier-field-secret').inputValue()).toBe('');
    const shown = await row.innerText();
    expect(shown).not.toContain(hook.url);
    expect(shown).not.toContain(secret);
    const stored = await db.db.selectFrom('notificationChannels').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(secret);

    // "Send test": the receiver gets one JSON POST signed with the secret
    await row.locator('[data-testid="notifier-send-test"]').click();
    await p.tid('success-message').filter({ hasText: 'Test message delivered to "ops webhook"' }).waitFor();
    const [got] = await hook.waitFor(1);
    expect(hook.received).toHaveLength(1);
    expect(got).toMatchObject({ method: 'POST', path: '/tollgate-alerts' });
    expect(got!.headers['content-type']).toContain('application/json');
    expect(got!.headers['x-tollgate-signature']).toBe(
      createHmac('sha256', secret).update(got!.raw).digest('hex'),
    );
    expect(got!.json).toMatchObject({ state: 'test' });
    await shot(p, 'admin-alerts-channel-test');

    // a rule: overall error rate over 25 % in 10 min, at least 50 requests, routed to the webhook
    const form = p.tid('rule-form');
    await form.locator('[data-testid="rule-kind"]').selectOption('error_rate');
    await form.locator('[data-testid="rule-name"]').fill('API errors');
    await form.locator('[data-testid="rule-param-thresholdPct"]').fill('25');
    await form.locator('[data-testid="rule-param-windowMinutes"]').fill('10');
    await form.locator('[data-testid="rule-param-minRequests"]').fill('50');
    await form.locator('[data-testid="rule-cooldown"]').fill('900');
    await form.locator('[data-testid="rule-route"]').check();
    await form.locator('[data-testid="rule-save"]').click();
    await p.tid('success-message').filter({ hasText: 'API errors' }).waitFor();
    const ruleRow = p.tid('rule-row').filter({ hasText: 'API errors' });
    await ruleRow.waitFor();
    expect(await ruleRow.innerText()).toContain('Threshold (%) = 25');
    expect(await ruleRow.innerText()).toContain('ops webhook');
    expect(await ruleRow.locator('[data-testid="rule-enabled"]').isChecked()).toBe(true);
    const rule = await db.db.selectFrom('alertRules').selectAll().executeTakeFirstOrThrow();
    expect(rule).toMatchObject({ kind: 'error_rate', name: 'API errors', cooldownSeconds: 900 });
    expect(JSON.parse(rule.params)).toEqual({ thresholdPct: 25, windowMinutes: 10, minRequests: 50 });
    await shot(p, 'admin-alerts-rule');
    expect(p.problems).toEqual([]);
    await p.context.close();
  });

  it('"Test now" on a channel pointing at the fake upstream shows its latency', async () => {
    await admin.channels.create.mutate({
      name: 'fake upstream',
      baseUrl: fake.url,
      keys: ['sk-fake-upstream-browser'],
      models: ['gpt-4o-mini'],
      testModel: 'fake-slow-120',
    });
    const p = await signIn();
    await p.page.goto(`${stack.siteUrl}/admin/channels`);
    const row = p.tid('channel-row').filter({ hasText: 'fake upstream' });
    await row.waitFor();
    expect(await row.locator('[data-testid="channel-test"]').innerText()).toContain('never tested');
    const before = fake.requests.length;
    await row.locator('[data-testid="channel-test-now"]').click();
    await p.tid('success-message').filter({ hasText: '"fake upstream" passed in' }).waitFor();
    const latency = row.locator('[data-testid="channel-latency"]');
    await latency.waitFor();
    const text = await latency.innerText();
    // the fake upstream's slow model waits 120 ms before answering
    expect(text).toMatch(/^[\d,]+ ms$/);
    expect(Number(text.replace(/\D/g, ''))).toBeGreaterThanOrEqual(100);
    // one tiny chat completion with the test model and the channel's key
    const sent = fake.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      path: '/v1/chat/completions',
      model: 'fake-slow-120',
      authorization: 'Bearer sk-fake-upstream-browser',
    });
    const stored = await db.db
      .selectFrom('channels')
      .select(['testTime', 'responseTimeMs'])
      .where('name', '=', 'fake upstream')
      .executeTakeFirstOrThrow();
    expect(stored.testTime).toBeGreaterThan(0);
    expect(stored.responseTimeMs).toBeGreaterThanOrEqual(100);
    expect(text).toBe(`${stored.responseTimeMs!.toLocaleString('en-US')} ms`);
    await shot(p, 'admin-channels-test-now');
    expect(p.problems).toEqual([]);
    await p.context.close();
  });
});
