import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, type TestPage } from '../harness/browser.ts';
import { type Stack, startStack } from '../harness/stack.ts';

/**
 * Admin configuration pages in headless Chromium against real site + relay processes (embedded
 * SQLite): prices typed in currency land as exact integer units, reference imports never overwrite
 * an admin price, groups and settings are written where the relay reads them.
 */
describe('admin prices, groups and settings in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let db: Db;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack('embedded'), launchBrowser()]);
    db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
  });
  afterAll(async () => {
    await db?.close();
    await browser?.close();
    await stack?.stop();
  });

  const price = (model: string) =>
    db.db
      .selectFrom('prices')
      .select([
        'inputPrice',
        'cachedInputPrice',
        'outputPrice',
        'perCallPrice',
        'costInputPrice',
        'costOutputPrice',
        'costPerCallPrice',
        'source',
      ])
      .where('model', '=', model)
      .executeTakeFirst();
  const setting = async (key: string) => {
    const row = await db.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  };

  async function signIn(): Promise<TestPage> {
    const admin = await openPage(browser, stack.siteUrl);
    await admin.page.goto(`${stack.siteUrl}/login`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await admin.page.locator('[data-testid="login-submit"]:not([disabled])').waitFor();
    await admin.tid('login-email').fill(stack.admin.email);
    await admin.tid('login-password').fill(stack.admin.password);
    await admin.tid('login-submit').click();
    await admin.page.waitForURL((u) => u.pathname.startsWith('/admin'));
    return admin;
  }

  /** full-page screenshots from the top, so the sticky header is where it belongs */
  async function shot(p: TestPage, name: string) {
    await p.page.evaluate(() => window.scrollTo(0, 0));
    await p.shot(name);
  }

  async function success(p: TestPage, text: string | RegExp) {
    await p.tid('success-message').filter({ hasText: text }).waitFor();
  }

  it('prices: typed in currency, stored as exact units; cost + markup; per call; import keeps admin prices; delete', async () => {
    const admin = await signIn();
    await admin.page.goto(`${stack.siteUrl}/admin/prices`);
    await admin.tid('price-empty').waitFor();
    await admin.page.getByRole('link', { name: 'Prices' }).waitFor();

    // sell prices in USD per 1M tokens, with cost prices
    await admin.tid('price-model').fill('gpt-4o-mini');
    await admin.tid('price-input').fill('0.15');
    await admin.tid('price-output').fill('0.6');
    await admin.tid('price-cached').fill('0.075');
    await admin.tid('price-cost-input').fill('0.1');
    await admin.tid('price-cost-output').fill('0.4');
    await admin.page.getByText('= 75,000 units').waitFor();
    await shot(admin, 'admin-prices-form');
    await admin.tid('price-submit').click();
    await success(admin, 'gpt-4o-mini');
    const mini = admin.tid('price-row').filter({ hasText: 'gpt-4o-mini' });
    await mini.waitFor();
    expect(await mini.locator('[data-testid="price-cell-input"]').innerText()).toContain('$0.15');
    expect(await mini.locator('[data-testid="price-cell-input"]').innerText()).toContain('75,000 units');
    expect(await mini.locator('[data-testid="price-cell-markup"]').innerText()).toBe('+50%');
    expect(await price('gpt-4o-mini')).toEqual({
      inputPrice: 75_000,
      cachedInputPrice: 37_500,
      outputPrice: 300_000,
      perCallPrice: null,
      costInputPrice: 50_000,
      costOutputPrice: 200_000,
      costPerCallPrice: null,
      source: 'admin',
    });

    // a value that is not an amount is refused in the browser and nothing is stored
    await admin.tid('price-model').fill('broken');
    await admin.tid('price-input').fill('1,5');
    await admin.tid('price-output').fill('1');
    await admin.page.getByText('Enter an amount like 2.50').first().waitFor();
    await admin.tid('price-submit').click();
    await admin.tid('error-message').waitFor();
    expect(await price('broken')).toBeUndefined();

    // cost + markup: sell = cost × 1.2, rounded up to a whole unit
    await admin.tid('price-model').fill('claude-*');
    await admin.tid('price-mode-markup').check({ force: true });
    await admin.tid('price-cost-input').fill('3');
    await admin.tid('price-cost-output').fill('15');
    await admin.tid('price-markup').fill('20');
    await admin.tid('price-preview').filter({ hasText: '$3.60' }).waitFor();
    expect(await admin.tid('price-preview').innerText()).toContain('9,000,000 units');
    await shot(admin, 'admin-prices-markup');
    await admin.tid('price-submit').click();
    await success(admin, 'claude-*');
    expect(await price('claude-*')).toMatchObject({
      inputPrice: 1_800_000,
      outputPrice: 9_000_000,
      costInputPrice: 1_500_000,
      costOutputPrice: 7_500_000,
      perCallPrice: null,
    });

    // per call
    await admin.tid('price-model').fill('dall-e-3');
    await admin.tid('price-billing-call').check({ force: true });
    await admin.tid('price-per-call').fill('0.04');
    await admin.tid('price-submit').click();
    await success(admin, 'dall-e-3');
    expect(await price('dall-e-3')).toMatchObject({ perCallPrice: 20_000, inputPrice: 0, outputPrice: 0 });

    // reference import: new model added as `auto`, the admin price of gpt-4o-mini kept
    await admin.tid('price-import-open').click();
    expect(await admin.tid('price-import-schedule').innerText()).toMatch(/updates are off/);
    await admin.tid('price-import-json').fill(
      JSON.stringify({
        'gpt-4o-mini': { input: 9, output: 9 },
        'gpt-4.1': { input: 2, output: 8, cached_input: 0.5 },
      }),
    );
    await admin.tid('price-import-markup').fill('10');
    await admin.tid('price-import-submit').click();
    await admin.tid('price-import-result').waitFor();
    expect(await admin.tid('price-import-result').innerText()).toMatch(
      /1 added[\s\S]*0 updated[\s\S]*1 kept/,
    );
    await admin.tid('price-row').filter({ hasText: 'gpt-4.1' }).waitFor();
    expect(await price('gpt-4.1')).toMatchObject({
      source: 'auto',
      costInputPrice: 1_000_000,
      inputPrice: 1_100_000,
      cachedInputPrice: 275_000,
      outputPrice: 4_400_000,
    });
    expect(await price('gpt-4o-mini')).toMatchObject({ inputPrice: 75_000, source: 'admin' });
    await shot(admin, 'admin-prices-import');

    // edit (the form is prefilled in currency) and delete with confirmation
    await admin
      .tid('price-row')
      .filter({ hasText: 'gpt-4o-mini' })
      .locator('[data-testid="price-edit"]')
      .click();
    expect(await admin.tid('price-input').inputValue()).toBe('0.15');
    await admin.tid('price-input').fill('0.2');
    await admin.tid('price-submit').click();
    await success(admin, 'saved');
    expect(await price('gpt-4o-mini')).toMatchObject({ inputPrice: 100_000, cachedInputPrice: 37_500 });
    await admin
      .tid('price-row')
      .filter({ hasText: 'dall-e-3' })
      .locator('[data-testid="price-delete"]')
      .click();
    await success(admin, 'deleted');
    expect(await price('dall-e-3')).toBeUndefined();
    await shot(admin, 'admin-prices');
    expect(admin.problems).toEqual([]);
  });

  it('groups: create with a decimal multiplier, make it selectable, delete refused while in use', async () => {
    const admin = await signIn();
    await admin.page.goto(`${stack.siteUrl}/admin/groups`);
    await admin.tid('group-row').filter({ hasText: 'default' }).waitFor();
    await admin.tid('group-name').fill('vip');
    await admin.tid('group-multiplier').fill('1.25');
    await admin.tid('group-description').fill('paying customers');
    await admin.tid('group-rpm').fill('60');
    await admin.tid('group-submit').click();
    await success(admin, 'vip');
    const vip = admin.tid('group-row').filter({ hasText: 'vip' });
    expect(await vip.locator('[data-testid="group-cell-multiplier"]').innerText()).toBe('×1.25');
    expect(
      await db.db
        .selectFrom('groups')
        .select(['multiplierPpm', 'rpmLimit', 'tpmLimit', 'description'])
        .where('name', '=', 'vip')
        .executeTakeFirst(),
    ).toEqual({ multiplierPpm: 1_250_000, rpmLimit: 60, tpmLimit: null, description: 'paying customers' });

    await vip.locator('[data-testid="group-selectable"]').check();
    await success(admin, 'may now pick');
    expect(await setting('user_selectable_groups')).toEqual(['vip']);

    await db.db
      .updateTable('users')
      .set({ groupName: 'vip' })
      .where('email', '=', stack.admin.email)
      .execute();
    await admin.page.reload();
    await vip.locator('[data-testid="group-delete"]').click();
    await admin.tid('error-message').filter({ hasText: 'used by 1 user' }).waitFor();
    await shot(admin, 'admin-groups');
    await db.db
      .updateTable('users')
      .set({ groupName: 'default' })
      .where('email', '=', stack.admin.email)
      .execute();
    expect(admin.problems).toEqual([]);
  });

  it('settings: credit in currency, registration closed refuses sign-ups', async () => {
    const admin = await signIn();
    await admin.page.goto(`${stack.siteUrl}/admin/settings`);
    await admin.tid('settings-form').waitFor();
    expect(await admin.tid('setting-registration-open').isChecked()).toBe(true);
    await admin.tid('setting-site-name').fill('Acme AI');
    await admin.tid('setting-credit').fill('1.5');
    await admin.page.getByText('$1.50 = 750,000 units').waitFor();
    await admin.tid('setting-registration-open').uncheck();
    await admin.tid('setting-default-group').selectOption('vip');
    await admin.tid('settings-submit').click();
    await success(admin, 'Settings saved (4 changed)');
    expect(await setting('registration_open')).toBe(false);
    expect(await setting('new_user_quota')).toBe(750_000);
    expect(await setting('site_name')).toBe('Acme AI');
    expect(await setting('default_group')).toBe('vip');
    expect(await admin.tid('setting-registration-open').isChecked()).toBe(false);
    await shot(admin, 'admin-settings');

    const visitor = await openPage(browser, stack.siteUrl);
    await visitor.page.goto(`${stack.siteUrl}/register`);
    // typed before hydration, text would be reset: the submit button is enabled once hydrated
    await visitor.page.locator('[data-testid="register-submit"]:not([disabled])').waitFor();
    await visitor.tid('register-email').fill(`closed-${Date.now()}@example.com`);
    await visitor.tid('register-password').fill('closed-pass-123');
    await visitor.tid('register-submit').click();
    await visitor.tid('error-message').filter({ hasText: 'registration is closed' }).waitFor();
    await shot(visitor, 'register-closed');
    expect(new URL(visitor.page.url()).pathname).toBe('/register');

    await admin.tid('setting-registration-open').check();
    await admin.tid('settings-submit').click();
    await success(admin, 'Settings saved (1 changed)');
    expect(await setting('registration_open')).toBe(true);
    expect([...admin.problems, ...visitor.problems]).toEqual([]);
  });
});
