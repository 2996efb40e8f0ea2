import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Screenshots for reviewers land here (ignored by git). */
export const artifactsDir = resolve(import.meta.dirname, '../../../../test-artifacts/screenshots');

/** Debian's Chromium, headless, with the flags this network needs (no background connections). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.TOLLGATE_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** console errors and page errors seen so far */
  problems: string[];
  tid(id: string): ReturnType<Page['locator']>;
  shot(name: string): Promise<void>;
}

export async function openPage(
  browser: Browser,
  baseUrl: string,
  viewport = { width: 1280, height: 860 },
): Promise<TestPage> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`[pageerror] ${e.message}`));
  page.on('dialog', (d) => void d.accept());
  mkdirSync(artifactsDir, { recursive: true });
  return {
    context,
    page,
    problems,
    tid: (id) => page.locator(`[data-testid="${id}"]`),
    shot: async (name) => {
      await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
    },
  };
}
