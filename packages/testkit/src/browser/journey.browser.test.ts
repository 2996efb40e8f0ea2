import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { artifactsDir, launchBrowser, openPage, type TestPage } from '../harness/browser.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const MODEL = 'gpt-4o';
/** $2.50 / $10 per 1M tokens at the default 500,000 units per dollar */
const INPUT_UNITS_PER_1M = 1_250_000;
const OUTPUT_UNITS_PER_1M = 5_000_000;
/** the `new_user_quota` set on /admin/settings: $5.00 */
const STARTING_UNITS = 2_500_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The relay's price rule (SPEC §5) for the default group (×1): ceil(Σ tokens × price per 1M / 1M). */
const expectedCost = (prompt: number, completion: number) =>
  Math.ceil((prompt * INPUT_UNITS_PER_1M + completion * OUTPUT_UNITS_PER_1M) / 1_000_000);

/** A small RFC 4180 reader (quoted fields, doubled quotes), enough for the export. */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...body] = rows.filter((r) => r.some((f) => f !== ''));
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h.replace(/^\uFEFF/, ''), r[i] ?? ''])));
}

/**
 * The whole product in one sitting, through the UI only, in headless Chromium against real site and
 * relay processes (embedded SQLite, models need a price): the operator connects a fake upstream,
 * prices the model, tests the channel and gives new accounts a starting credit; a newcomer registers,
 * creates and copies a key, calls the relay with the official `openai` client, and finds both calls
 * in the dashboard, the usage table and the CSV export; the operator disables the channel (the next
 * call gets an OpenAI error) and sees the traffic on the admin dashboard; both switch to 中文; the
 * user cannot open the admin area. Screenshots land in test-artifacts/screenshots/journey-*.png.
 */
describe('the whole journey in a real browser', () => {
  let stack: Stack;
  let upstream: FakeUpstream;
  let browser: Browser;

  beforeAll(async () => {
    [upstream, stack, browser] = await Promise.all([
      startFakeUpstream(),
      startStack('embedded', {}, { freeModels: false }),
      launchBrowser(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await upstream?.close();
  });

  /** A tab with charts drawn without animation (so a screenshot never catches one half-drawn). */
  async function tab(): Promise<TestPage> {
    const p = await openPage(browser, stack.siteUrl);
    await p.page.emulateMedia({ reducedMotion: 'reduce' });
    return p;
  }

  /** Full-page screenshot from the top (sticky header where it belongs, tables scrolled left). */
  async function shot(p: TestPage, name: string) {
    await p.page.evaluate(async () => {
      for (const el of document.querySelectorAll('.table-wrap')) el.scrollLeft = 0;
      window.scrollTo({ top: 0, behavior: 'instant' });
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    });
    await p.shot(`journey-${name}`);
  }

  /** Waits for the page to hydrate (its submit/switch buttons are disabled until then). */
  const hydrated = (p: TestPage, testId: string) =>
    p.page.locator(`[data-testid="${testId}"]:not([disabled])`).first().waitFor();

  const path = (p: TestPage) => new URL(p.page.url()).pathname;
  const h1 = (p: TestPage) => p.page.locator('h1').first().innerText();

  /** Waits until the chart has drawn something (more than 500 painted pixels on its canvas). */
  async function expectChartDrawn(p: TestPage, testId: string) {
    await p.page.bringToFront();
    await p.page.locator(`[data-testid="${testId}"][data-ready="true"] canvas`).waitFor();
    await expect
      .poll(
        () =>
          p.page.evaluate((id) => {
            const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"] canvas`);
            const ctx = canvas?.getContext('2d');
            if (!canvas || !ctx || canvas.width === 0) return 0;
            const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
            return painted;
          }, testId),
        { message: `${testId} draws`, timeout: 5_000 },
      )
      .toBeGreaterThan(500);
  }

  /** Switches the page's language with the shell's switcher (it saves, then reloads the page). */
  async function switchTo(p: TestPage, locale: 'zh-CN' | 'en') {
    await hydrated(p, `locale-${locale}`);
    await p.tid(`locale-${locale}`).click();
    await p.page.locator(`html[lang="${locale}"]`).waitFor();
    await p.page.locator(`[data-testid="locale-${locale}"][aria-pressed="true"]`).waitFor();
  }

  it('operator sets up, a newcomer pays for two calls and finds them everywhere, in English and 中文', async () => {
    // ── the operator signs in (an /admin URL sends a visitor to the sign-in page first) ─────────
    const admin = await tab();
    await admin.page.goto(`${stack.siteUrl}/admin/channels`);
    expect(path(admin)).toBe('/login');
    await hydrated(admin, 'login-submit');
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await admin.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await admin.tid('login-email').fill(stack.admin.email);
    await admin.tid('login-password').fill(stack.admin.password);
    await admin.tid('login-submit').click();
    await admin.page.waitForURL((u) => u.pathname.startsWith('/admin'));

    // ── a channel to the fake upstream, through the form ──────────────────────────────────────
    const channelName = 'Journey fake upstream';
    const upstreamKey = 'sk-upstream-journey-secret-0123456789';
    await admin.page.goto(`${stack.siteUrl}/admin/channels`);
    await hydrated(admin, 'channel-submit');
    await admin.tid('channel-empty').waitFor();
    await admin.tid('channel-name').fill(channelName);
    await admin.tid('channel-base-url').fill(`${upstream.url}/v1`);
    await admin.tid('channel-keys').fill(upstreamKey);
    await admin.tid('channel-models').fill(MODEL);
    await admin.tid('channel-submit').click();
    await admin.tid('success-message').filter({ hasText: channelName }).waitFor();
    const channelRow = admin.tid('channel-row').filter({ hasText: channelName });
    await channelRow.waitFor();
    expect(await channelRow.locator('[data-testid="channel-status"]').innerText()).toBe('Enabled');
    expect(await channelRow.innerText()).toContain(MODEL);
    // the upstream key is masked after save and never sent back to the browser
    expect(await admin.page.content()).not.toContain(upstreamKey);

    // Test now: a real request to the upstream, the latency shown in the row
    const servedBefore = upstream.served.length;
    await channelRow.locator('[data-testid="channel-test-now"]').click();
    await admin
      .tid('success-message')
      .filter({ hasText: /passed/ })
      .waitFor();
    const latency = channelRow.locator('[data-testid="channel-latency"]');
    await latency.waitFor();
    expect(await latency.innerText()).toMatch(/^\d[\d,.]* ?ms$/);
    expect(upstream.served.length).toBeGreaterThan(servedBefore);
    await shot(admin, 'admin-channels');

    // ── a price for the model on /admin/prices (models without one are refused) ───────────────
    await admin.page.goto(`${stack.siteUrl}/admin/prices`);
    await hydrated(admin, 'price-submit');
    await admin.tid('price-empty').waitFor();
    await admin.tid('price-model').fill(MODEL);
    await admin.tid('price-input').fill('2.5');
    await admin.tid('price-output').fill('10');
    await admin.page.getByText('= 1,250,000 units').first().waitFor();
    await admin.tid('price-submit').click();
    await admin.tid('success-message').filter({ hasText: MODEL }).waitFor();
    const priceRow = admin.tid('price-row').filter({ hasText: MODEL });
    await priceRow.waitFor();
    expect(await priceRow.locator('[data-testid="price-cell-input"]').innerText()).toContain('$2.50');
    await shot(admin, 'admin-prices');

    // ── a starting credit for new accounts on /admin/settings ─────────────────────────────────
    await admin.page.goto(`${stack.siteUrl}/admin/settings`);
    await admin.tid('settings-form').waitFor();
    await hydrated(admin, 'settings-submit');
    await admin.tid('setting-credit').fill('5');
    await admin.page.getByText('$5.00 = 2,500,000 units').waitFor();
    await admin.tid('settings-submit').click();
    await admin.tid('success-message').filter({ hasText: 'Settings saved (1 changed)' }).waitFor();
    await shot(admin, 'admin-settings');

    // ── a newcomer registers and lands on their keys ──────────────────────────────────────────
    const user = await tab();
    const email = `journey-${Date.now()}@example.com`;
    const password = 'journey-pass-123';
    await user.page.goto(`${stack.siteUrl}/register`);
    await hydrated(user, 'register-submit');
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await user.page.locator('[data-testid="register-submit"]:not([disabled])').waitFor();
    await user.tid('register-email').fill(email);
    await user.tid('register-password').fill(password);
    await user.tid('register-submit').click();
    await user.page.waitForURL('**/portal/tokens');
    await user.tid('token-empty').waitFor();

    // creates a key, copies it from the list with one click
    await hydrated(user, 'token-create');
    await user.tid('token-name').fill('journey key');
    await user.tid('token-create').click();
    await user.tid('token-new-key').waitFor();
    const shownKey = (await user.tid('token-new-key-value').innerText()).trim();
    expect(shownKey).toMatch(/^sk-/);
    const keyRow = user.tid('token-row').filter({ hasText: 'journey key' });
    await keyRow.waitFor();
    expect(await keyRow.innerText()).not.toContain(shownKey);
    await keyRow.locator('[data-testid="token-copy"]').click();
    await keyRow.getByText('Copied').waitFor();
    const copied = await user.page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(shownKey);
    await shot(user, 'portal-tokens');

    // ── the copied key with the official openai client: one plain call, one stream ────────────
    const openai = new OpenAI({ apiKey: copied, baseURL: `${stack.relayUrl}/v1`, maxRetries: 0 });
    const served0 = upstream.served.length;
    // a new key (and the price) reach the relay within a second: retry until it is accepted
    let answer: OpenAI.Chat.ChatCompletion | undefined;
    let lastError: unknown;
    for (const deadline = Date.now() + 5_000; !answer && Date.now() < deadline; ) {
      try {
        answer = await openai.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'Say hello to the journey test.' }],
        });
      } catch (err) {
        lastError = err;
        if (!(err instanceof OpenAI.APIError) || err.status !== 401) throw err;
        await sleep(50);
      }
    }
    expect(answer, String(lastError)).toBeDefined();
    expect(answer!.choices[0]?.message.content).toContain('hello');
    const stream = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Now stream it, please.' }],
      stream: true,
    });
    let streamed = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(streamed.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    // what the upstream served for these two calls: the token counts each should be billed for
    const calls = upstream.served.slice(served0);
    expect(calls.map((s) => [s.model, s.stream, s.completed])).toEqual([
      [MODEL, false, true],
      [MODEL, true, true],
    ]);
    const costs = calls.map((s) => expectedCost(s.promptTokens, s.completionTokens));
    const totalCost = costs[0]! + costs[1]!;
    expect(totalCost).toBeGreaterThan(0);

    // ── the dashboard counts them once settled (the relay writes usage within ~1 s) ───────────
    await user.page.goto(`${stack.siteUrl}/portal/dashboard`);
    await expect
      .poll(
        async () => {
          await user.page.reload();
          await user.page.locator('[data-testid="stat-my-requests"]:not(.is-loading)').waitFor();
          return user.tid('stat-my-requests-value').innerText();
        },
        { message: 'the dashboard counts both calls', timeout: 10_000, interval: 200 },
      )
      .toBe('2');
    expect(await user.tid('stat-my-requests').innerText()).toContain('0 failed');
    expect(await user.tid('stat-balance').innerText()).toContain(
      `${(STARTING_UNITS - totalCost).toLocaleString('en-US')} quota units`,
    );
    for (const chart of ['chart-my-spend', 'chart-my-requests', 'chart-my-models', 'chart-my-keys'])
      await expectChartDrawn(user, chart);
    const myKey = user.tid('my-key-row').filter({ hasText: 'journey key' });
    expect((await myKey.innerText()).split(/\s+/)).toContain('2');
    await shot(user, 'portal-dashboard');

    // ── the usage table: both calls with their cost ───────────────────────────────────────────
    await user.page.locator('.mainnav a[href="/portal/usage"]').click();
    await user.page.waitForURL('**/portal/usage');
    const usageRows = user.tid('usage-row').filter({ hasText: MODEL });
    await expect.poll(() => usageRows.count()).toBe(2);
    // newest first: the stream, then the plain call
    for (const [i, cost] of [costs[1]!, costs[0]!].entries()) {
      const text = await usageRows.nth(i).innerText();
      expect(text).toContain('journey key');
      expect(text).toContain(`${cost.toLocaleString('en-US')} units`);
      expect(text).toContain('200');
    }
    await shot(user, 'portal-usage');

    // ── the CSV export: a click on the link downloads the file (it must not navigate) ─────────
    const exportHref = await user.tid('usage-export').getAttribute('href');
    expect(exportHref).toBe('/api/export/my-logs.csv');
    const [download] = await Promise.all([
      user.page.waitForEvent('download'),
      user.tid('usage-export').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^tollgate-usage-.*\.csv$/);
    expect(new URL(user.page.url()).pathname).toBe('/portal/usage');
    const csvText = await readFile((await download.path())!, 'utf8');
    await writeFile(join(artifactsDir, '..', 'journey-usage.csv'), csvText);
    const csv = parseCsv(csvText);
    const usage = csv.filter((r) => r.kind === 'usage');
    // oldest first: the plain call, then the stream
    expect(usage.map((r) => [r.model, r.key_name, r.stream, r.status, r.error_code])).toEqual([
      [MODEL, 'journey key', 'false', '200', ''],
      [MODEL, 'journey key', 'true', '200', ''],
    ]);
    expect(usage.map((r) => [Number(r.prompt_tokens), Number(r.completion_tokens), Number(r.cost)])).toEqual([
      [calls[0]!.promptTokens, calls[0]!.completionTokens, costs[0]],
      [calls[1]!.promptTokens, calls[1]!.completionTokens, costs[1]],
    ]);
    expect(usage.every((r) => r.currency === 'USD' && Number(r.cost_display) > 0)).toBe(true);
    // the starting credit from the settings is there as a top-up
    expect(csv.filter((r) => r.kind === 'topup').map((r) => r.note)).toEqual(['welcome credit']);
    // the export holds the user's own rows only: no upstream cost, channel or other users
    expect(Object.keys(csv[0]!)).not.toContain('channel_cost');

    // ── the operator finds the newcomer and their two calls ───────────────────────────────────
    await admin.page.bringToFront();
    await admin.page.goto(`${stack.siteUrl}/admin/users`);
    await hydrated(admin, 'users-search-submit');
    await admin.tid('users-search').fill(email);
    await admin.tid('users-search-submit').click();
    await admin.tid('users-page-info').filter({ hasText: '· 1 users' }).waitFor();
    await admin.tid('user-link').filter({ hasText: email }).click();
    await admin.page.waitForURL(/\/admin\/users\/\d+$/);
    const userPath = path(admin);
    await admin.tid('user-email').filter({ hasText: email }).waitFor();
    await expect.poll(() => admin.tid('user-usage-row').count()).toBe(2);
    await admin.tid('user-key-row').filter({ hasText: 'journey key' }).waitFor();
    await shot(admin, 'admin-user-detail');

    // ── the operator disables the channel: the next call fails with an OpenAI error ───────────
    await admin.page.goto(`${stack.siteUrl}/admin/channels`);
    await hydrated(admin, 'channel-submit');
    await channelRow.locator('[data-testid="channel-toggle"]').click();
    await admin.tid('success-message').filter({ hasText: 'disabled' }).waitFor();
    await channelRow.locator('[data-testid="channel-status"]').filter({ hasText: 'Disabled' }).waitFor();
    // the change reaches the relay within a second; calls that slip through before it still count
    let refused: InstanceType<typeof OpenAI.APIError> | undefined;
    let slipped = 0;
    for (const deadline = Date.now() + 5_000; !refused && Date.now() < deadline; ) {
      try {
        await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
        slipped++;
        await sleep(50);
      } catch (err) {
        if (!(err instanceof OpenAI.APIError)) throw err;
        refused = err;
      }
    }
    expect(refused, 'a call after the channel was disabled fails').toBeDefined();
    expect([refused!.status, refused!.code, refused!.type]).toEqual([
      404,
      'model_not_found',
      'invalid_request_error',
    ]);
    await shot(admin, 'admin-channels-disabled');

    // ── the admin dashboard shows the traffic ─────────────────────────────────────────────────
    await admin.page.goto(`${stack.siteUrl}/admin`);
    const okCalls = 2 + slipped;
    await expect
      .poll(
        async () => {
          await admin.page.reload();
          await admin.page.locator('[data-testid="stat-requests"]:not(.is-loading)').waitFor();
          return Number((await admin.tid('stat-requests-value').innerText()).replace(/,/g, ''));
        },
        { message: 'the admin dashboard counts the calls', timeout: 10_000, interval: 200 },
      )
      // (the refused call never reached a channel: the relay does not count it as a request)
      .toBe(okCalls);
    expect(await admin.tid('stat-revenue-value').innerText()).toMatch(/^\$0\.0*[1-9]/);
    expect(await admin.tid('stat-users-value').innerText()).toBe('1');
    for (const chart of ['chart-requests', 'chart-money', 'chart-models'])
      await expectChartDrawn(admin, chart);
    await admin.tid('top-user-row').filter({ hasText: email }).waitFor();
    await admin.tid('channel-stat-row').filter({ hasText: channelName }).waitFor();
    await shot(admin, 'admin-dashboard');

    // ── 中文: the newcomer switches in the shell, the portal pages come back translated ─────────
    await user.page.bringToFront();
    await user.page.goto(`${stack.siteUrl}/portal/dashboard`);
    expect(await h1(user)).toBe('Dashboard');
    await switchTo(user, 'zh-CN');
    expect(await h1(user)).toBe('仪表盘');
    await user.page.locator('[data-testid="stat-my-requests"]:not(.is-loading)').waitFor();
    expect(await user.tid('stat-my-requests').innerText()).toContain('请求数');
    expect(await user.page.locator('.mainnav').innerText()).toContain('用量');
    for (const chart of ['chart-my-spend', 'chart-my-requests']) await expectChartDrawn(user, chart);
    await shot(user, 'zh-portal-dashboard');
    const zhPages: [string, string, string][] = [
      ['/portal/usage', '用量', 'usage-row'],
      ['/portal/tokens', 'API 密钥', 'token-row'],
      ['/portal/docs', '快速开始', 'docs-example-curl-code'],
    ];
    for (const [page, title, testId] of zhPages) {
      await user.page.goto(`${stack.siteUrl}${page}`);
      expect(await h1(user)).toBe(title);
      await user.tid(testId).first().waitFor();
      const main = await user.page.locator('main').innerText();
      expect([page, /Sign out|Create key|Export CSV|Quick start/.test(main)]).toEqual([page, false]);
      await shot(user, `zh-${page.slice(1).replace(/\//g, '-')}`);
    }
    expect(await user.tid('nav-signout').innerText()).toBe('退出登录');

    // the operator too
    await admin.page.bringToFront();
    await switchTo(admin, 'zh-CN');
    expect(await h1(admin)).toBe('仪表盘');
    await admin.page.goto(`${stack.siteUrl}/admin/channels`);
    expect(await h1(admin)).toBe('渠道');
    await channelRow.locator('[data-testid="channel-status"]').filter({ hasText: '已禁用' }).waitFor();
    expect(await channelRow.locator('[data-testid="channel-test-now"]').innerText()).toBe('立即测试');
    await shot(admin, 'zh-admin-channels');

    // ── the newcomer cannot open the admin area: every /admin URL sends them to the portal ────
    await user.page.bringToFront();
    for (const adminPath of ['/admin', '/admin/channels', userPath, '/admin/settings', '/admin/logs']) {
      await user.page.goto(`${stack.siteUrl}${adminPath}`);
      expect([adminPath, path(user)]).toEqual([adminPath, '/portal/tokens']);
      expect(await user.page.content()).not.toContain(channelName);
    }

    expect([...admin.problems, ...user.problems]).toEqual([]);
  }, 90_000);
});
