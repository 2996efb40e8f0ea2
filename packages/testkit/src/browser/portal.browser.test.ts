import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { relayErrorTable } from '@tollgate/relay/errors.ts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { launchBrowser, openPage, type TestPage } from '../harness/browser.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';

const run = promisify(execFile);
const DAY = 86_400_000;

/** Status of a chat call with `key` straight to the relay. */
async function relayStatus(relayUrl: string, key: string): Promise<number> {
  const res = await fetch(`${relayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.body?.cancel();
  return res.status;
}

/** Polls until `key` gets `status` from the relay; returns how long that took (ms). */
async function waitForStatus(relayUrl: string, key: string, status: number, timeoutMs: number) {
  const start = Date.now();
  let last = 0;
  while (Date.now() - start < timeoutMs) {
    last = await relayStatus(relayUrl, key);
    if (last === status) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the relay still answers ${last} (wanted ${status}) after ${timeoutMs} ms`);
}

/**
 * Runs a copied curl command the way a user would paste it into a shell. Without a curl binary, the
 * command's URL, headers and body are extracted and sent with fetch instead.
 */
async function runCurl(command: string): Promise<string> {
  if (existsSync('/usr/bin/curl')) {
    const { stdout } = await run('/bin/sh', ['-c', `${command} --silent --show-error --fail-with-body`], {
      timeout: 20_000,
    });
    return stdout;
  }
  const words = [...command.matchAll(/'((?:[^']|'\\'')*)'/g)].map((m) => m[1]!.replace(/'\\''/g, "'"));
  const [url, ...rest] = words;
  const headers = Object.fromEntries(
    rest.slice(0, -1).map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()]),
  );
  const res = await fetch(url!, { method: 'POST', headers, body: rest.at(-1) });
  if (!res.ok) throw new Error(`curl example failed: ${res.status} ${await res.text()}`);
  return res.text();
}

/** The portal's keys, docs and account pages in headless Chromium against real site + relay processes. */
describe('portal keys, docs and account in a real browser', () => {
  let stack: Stack;
  let upstream: FakeUpstream;
  let browser: Browser;
  let admin: SiteClient;
  let user: TestPage;
  const email = `portal-${randomBytes(4).toString('hex')}@example.com`;

  beforeAll(async () => {
    [upstream, stack, browser] = await Promise.all([
      startFakeUpstream(),
      startStack('embedded'),
      launchBrowser(),
    ]);
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    await admin.channels.create.mutate({
      name: 'portal fake upstream',
      baseUrl: `${upstream.url}/v1`,
      keys: ['sk-upstream-portal-test-key'],
      models: ['gpt-4o-mini'],
    });
    // $0.30 / $1.20 per 1M tokens at the default 500,000 units per dollar
    await admin.prices.set.mutate({ model: 'gpt-4o-mini', inputPrice: 150_000, outputPrice: 600_000 });
    user = await openPage(browser, stack.siteUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await upstream?.close();
  });

  it('a user edits a key, resets it (the old key dies within a second), and runs the copied curl example', async () => {
    const { page, tid } = user;
    await page.goto(`${stack.siteUrl}/register`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await page.locator('[data-testid="register-submit"]:not([disabled])').waitFor();
    await tid('register-email').fill(email);
    await tid('register-password').fill('portal-pass-123');
    await tid('register-submit').click();
    await page.waitForURL('**/portal/tokens');
    const users = await admin.users.list.query({ search: email });
    await admin.users.adjustBalance.mutate({
      userId: users.rows[0]!.id,
      amount: 2_500_000,
      reason: 'portal test',
    });

    // create a key, then edit it: name, spending limit, allowed models and IPs, RPM
    await tid('token-name').fill('first key');
    await tid('token-create').click();
    const key = (await tid('token-new-key-value').textContent())?.trim() ?? '';
    expect(key).toMatch(/^sk-/);
    await waitForStatus(stack.relayUrl, key, 200, 5_000);
    const row = tid('token-row').filter({ hasText: 'first key' });
    await row.locator('[data-testid="token-edit"]').click();
    await tid('token-edit-card').waitFor();
    await tid('token-edit-name').fill('renamed key');
    await tid('token-edit-unlimited').uncheck();
    await tid('token-edit-quota').fill('5');
    await tid('token-edit-models').fill('gpt-4o-mini, gpt-4.1-*');
    await tid('token-edit-ips').fill('127.0.0.0/8\n::1');
    await tid('token-edit-rpm').fill('600');
    await user.shot('portal-token-edit');
    await tid('token-edit-save').click();
    await tid('success-message').filter({ hasText: 'renamed key' }).waitFor();
    const renamed = tid('token-row').filter({ hasText: 'renamed key' });
    await renamed.waitFor();
    const rowText = await renamed.textContent();
    expect(rowText).toContain('$5.00 left');
    expect(rowText).toContain('gpt-4o-mini, gpt-4.1-*');
    expect(rowText).toContain('2 allowed IP ranges · 600 requests/min');
    // an invalid IP is refused in the browser by the server's own schema, and nothing is sent
    await renamed.locator('[data-testid="token-edit"]').click();
    await tid('token-edit-ips').fill('10.0.0.0/33');
    await tid('token-edit-save').click();
    await tid('error-message').filter({ hasText: 'an IP address or CIDR' }).waitFor();
    await tid('token-edit-cancel').click();

    // a key expiring in 3 days, and one with < 10% of its quota left, are flagged
    await tid('token-name').fill('short lived');
    const soon = new Date(Date.now() + 3 * DAY);
    const pad = (n: number) => String(n).padStart(2, '0');
    await tid('token-expiry').fill(
      `${soon.getFullYear()}-${pad(soon.getMonth() + 1)}-${pad(soon.getDate())}`,
    );
    await tid('token-create').click();
    await tid('token-row').filter({ hasText: 'short lived' }).waitFor();
    await tid('token-warning-banner').waitFor();
    const banner = await tid('token-warning-banner').textContent();
    expect(banner).toContain('short lived');
    expect(banner).toMatch(/Expires in [34] d/);
    expect(await tid('token-row').filter({ hasText: 'short lived' }).textContent()).toMatch(
      /Expires in [34] d/,
    );
    await tid('token-new-key').locator('button', { hasText: 'Done' }).click();
    await user.shot('portal-tokens-warnings');

    // the key still works after the edit (allowed IPs include the loopback the relay sees)
    await waitForStatus(stack.relayUrl, key, 200, 5_000);
    await expect
      .poll(
        async () => {
          await page.reload();
          return renamed.locator('[data-testid="token-last-used"]').textContent();
        },
        { timeout: 10_000 },
      )
      .toBe('just now');

    // reset: confirm, the new key is shown once, the old one is refused by the relay within a second
    await renamed.locator('[data-testid="token-reset"]').click();
    await tid('token-new-key').filter({ hasText: 'after reset' }).waitFor();
    const resetAt = Date.now();
    const fresh = (await tid('token-new-key-value').textContent())?.trim() ?? '';
    expect(fresh).toMatch(/^sk-/);
    expect(fresh).not.toBe(key);
    await waitForStatus(stack.relayUrl, key, 401, 1_000);
    expect(Date.now() - resetAt).toBeLessThan(1_000);
    await waitForStatus(stack.relayUrl, fresh, 200, 2_000);
    await user.shot('portal-token-reset');

    // docs: the real base URL, the key masked on screen, the curl example copied with the key in full
    await page.goto(`${stack.siteUrl}/portal/docs`);
    await tid('docs-key').waitFor();
    const renamedId = await tid('docs-key')
      .locator('option', { hasText: 'renamed key' })
      .getAttribute('value');
    await tid('docs-key').selectOption(renamedId!);
    expect(await tid('docs-base-url-value').textContent()).toBe(`${stack.relayUrl}/v1`);
    await tid('docs-model-row').filter({ hasText: 'gpt-4o-mini' }).waitFor();
    const modelRow = await tid('docs-model-row').filter({ hasText: 'gpt-4o-mini' }).textContent();
    expect(modelRow).toContain('$0.30');
    expect(modelRow).toContain('$1.20');
    expect(await tid('docs-models').textContent()).not.toContain('portal fake upstream');
    const shown = await tid('docs-example-curl-code').textContent();
    expect(shown).toContain(`${stack.relayUrl}/v1/chat/completions`);
    expect(shown).not.toContain(fresh);

    await tid('docs-base-url-copy').click();
    await tid('docs-base-url').getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${stack.relayUrl}/v1`);
    await tid('docs-header-copy').click();
    await tid('docs-header').getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`Authorization: Bearer ${fresh}`);

    await tid('docs-example-curl-copy').click();
    await tid('docs-example-curl').getByText('Copied').waitFor();
    const curl = await page.evaluate(() => navigator.clipboard.readText());
    expect(curl).toContain(fresh);
    const answer = JSON.parse(await runCurl(curl)) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toContain('hello');

    await tid('docs-example-curl-stream-copy').click();
    await tid('docs-example-curl-stream').getByText('Copied').waitFor();
    const streamed = await runCurl(await page.evaluate(() => navigator.clipboard.readText()));
    expect(streamed).toContain('data: ');
    expect(streamed.trim().endsWith('data: [DONE]')).toBe(true);

    // the Python and Node examples carry the same URL, key and model
    for (const lang of ['python', 'node'] as const) {
      await tid(`docs-tab-${lang}`).click();
      await tid(`docs-example-${lang}-stream-copy`).click();
      await tid(`docs-example-${lang}-stream`).getByText('Copied').waitFor();
      const code = await page.evaluate(() => navigator.clipboard.readText());
      expect(code).toContain(`"${stack.relayUrl}/v1"`);
      expect(code).toContain(`"${fresh}"`);
      expect(code).toContain('"gpt-4o-mini"');
      expect(code).toMatch(lang === 'python' ? /stream=True/ : /stream: true/);
    }
    await tid('docs-tab-curl').click();

    // the error table lists exactly the relay's codes, each with its status
    const errorRows = await tid('docs-error-row').evaluateAll((rows) =>
      rows.map((r) => [r.getAttribute('data-code'), r.querySelector('td')?.textContent?.trim()]),
    );
    expect(Object.fromEntries(errorRows)).toEqual(
      Object.fromEntries(Object.entries(relayErrorTable).map(([code, [status]]) => [code, String(status)])),
    );
    await user.shot('portal-docs');

    // the same page on a phone
    const phone = await openPage(browser, stack.siteUrl, { width: 390, height: 844 });
    await phone.context.addCookies(await user.context.cookies());
    await phone.page.goto(`${stack.siteUrl}/portal/docs`);
    await phone.tid('docs-example-curl-code').waitFor();
    await phone.shot('portal-docs-phone');
    await phone.context.close();

    expect(user.problems).toEqual([]);
  });

  it('the account page saves the display name, language and reminder, and lists the sessions', async () => {
    const { page, tid } = user;
    await page.goto(`${stack.siteUrl}/portal/account`);
    await tid('account-email').filter({ hasText: email }).waitFor();
    await tid('account-display-name').fill('Portal Tester');
    await tid('account-profile-save').click();
    await tid('success-message').filter({ hasText: 'Profile saved' }).waitFor();
    await tid('account-threshold').fill('2.5');
    await tid('account-threshold-save').click();
    await tid('success-message').filter({ hasText: 'Reminder saved' }).waitFor();
    await tid('account-password-current').fill('portal-pass-123');
    await tid('account-password-next').fill('short');
    await tid('account-password-confirm').fill('short');
    await tid('account-password-save').click();
    await tid('error-message').filter({ hasText: '8 characters' }).waitFor();
    await tid('session-row').first().waitFor();
    expect(await tid('session-row').filter({ hasText: 'This device' }).count()).toBe(1);

    await page.reload();
    await tid('account-email').waitFor();
    await expect.poll(() => tid('account-display-name').inputValue()).toBe('Portal Tester');
    await expect.poll(() => tid('account-threshold').inputValue()).toBe('2.5');
    await user.shot('portal-account');

    // another device signs in; signing it out from here ends its session
    const laptop = siteClient(stack.siteUrl);
    await laptop.auth.login.mutate({ email, password: 'portal-pass-123' });
    await page.reload();
    await expect.poll(() => tid('session-row').count()).toBe(2);
    await tid('session-row')
      .filter({ has: page.locator('[data-testid="session-revoke"]') })
      .locator('[data-testid="session-revoke"]')
      .click();
    await expect.poll(() => tid('session-row').count()).toBe(1);
    expect(await laptop.auth.me.query()).toBeNull();

    // the language is saved to the account and the page comes back in it
    await tid('account-locale-zh-CN').check({ force: true });
    await tid('account-locale-save').click();
    await page.locator('h1', { hasText: '账户' }).waitFor();
    await expect.poll(() => tid('account-locale-zh-CN').isChecked()).toBe(true);
    const me = (await admin.users.list.query({ search: email })).rows[0]!;
    expect(me.displayName).toBe('Portal Tester');
    expect(user.problems).toEqual([]);
  });
});
