import { it } from 'vitest';
import { launchBrowser, openPage } from '../harness/browser.ts';
import { startStack } from '../harness/stack.ts';
it('diag', async () => {
  const [stack, browser] = await Promise.all([startStack('embedded'), launchBrowser()]);
  try {
    const p = await openPage(browser, stack.siteUrl);
    p.page.on('console', (m) => console.log('CONSOLE', m.type(), m.text()));
    p.page.on('requestfailed', (r) => console.log('REQFAIL', r.url(), r.failure()?.errorText));
    p.page.on('response', (r) => { if (r.status() >= 400) console.log('RESP', r.status(), r.url()); });
    await p.page.goto(`${stack.siteUrl}/login`);
    await new Promise((r) => setTimeout(r, 3000));
    console.log('PROBLEMS', p.problems, 'disabled', await p.tid('login-submit').isDisabled());
  } finally { await browser.close(); await stack.stop(); }
}, 60000);
