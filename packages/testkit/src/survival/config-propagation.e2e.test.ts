import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { type Customer, newCustomer, waitForKey } from '../harness/customers.ts';
import type { SiteClient } from '../harness/site-client.ts';
import type { Prodlike } from '../prodlike/run.ts';
import { type ProdlikeTestStack, startProdlikeTestStack } from '../prodlike/test-stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** the bound: a config change reaches every relay within a second */
const BOUND_MS = 1000;

/**
 * Config propagation to every relay (issue #8; foundation.e2e covers one relay): two relays in
 * production mode (Redis) behind Nginx, on private MariaDB + Redis. Each change is made through the
 * site's tRPC; from the moment its answer arrives, each relay is polled directly until it acts on it.
 */
describe('a config change reaches both relays within a second', () => {
  let stack: ProdlikeTestStack;
  let a: FakeUpstream;
  let b: FakeUpstream;
  let p: Prodlike;
  let admin: SiteClient;
  let channelA: number;
  let channelB: number;
  const figures: string[] = [];

  beforeAll(async () => {
    // the two upstreams answer with 3 and 5 completion tokens: the usage tells which channel served
    [stack, a, b] = await Promise.all([
      startProdlikeTestStack(),
      startFakeUpstream({ defaults: { chunks: 3 } }),
      startFakeUpstream({ defaults: { chunks: 5 } }),
    ]);
    ({ p, admin } = stack);
    channelA = (
      await admin.channels.create.mutate({
        name: 'A',
        baseUrl: a.url,
        keys: ['sk-a-000001'],
        models: ['gpt-4o-mini'],
        priority: 10,
      })
    ).id;
    channelB = (
      await admin.channels.create.mutate({
        name: 'B',
        baseUrl: b.url,
        keys: ['sk-b-000002'],
        models: ['gpt-4o-mini'],
        priority: 0,
      })
    ).id;
    await admin.prices.set.mutate({ model: 'gpt-4o-mini', inputPrice: 100_000, outputPrice: 300_000 });
  });
  afterAll(async () => {
    if (figures.length) console.log(`[config propagation] ${figures.join('; ')}`);
    await Promise.all([stack?.stop(), a?.close(), b?.close()]);
  });

  /** What relay `url` does with `key` now: 'A' or 'B' (who served), or the refusal's status and code. */
  async function outcome(url: string, key: string): Promise<string> {
    const api = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0, timeout: 5000 });
    try {
      const r = await api.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'which channel?' }],
      });
      const tokens = r.usage?.completion_tokens;
      return tokens === 3 ? 'A' : tokens === 5 ? 'B' : `served with ${tokens} tokens`;
    } catch (err) {
      if (err instanceof OpenAI.APIError) return `${err.status} ${err.code}`;
      throw err;
    }
  }

  /**
   * Polls every relay directly (10 ms apart) until `want` holds for its outcome; returns the ms from
   * `since` (the mutation's answer) to the first poll that saw it, per relay. Gives up after 5 s.
   */
  async function untilEveryRelay(
    since: number,
    key: string,
    want: (o: string) => boolean,
  ): Promise<{ elapsed: number[]; last: string[] }> {
    const res = await Promise.all(
      p.relays.map(async (r) => {
        let last = '';
        while (Date.now() - since < 5000) {
          last = await outcome(r.url, key);
          if (want(last)) return { elapsed: Date.now() - since, last };
          await sleep(10);
        }
        return { elapsed: Number.POSITIVE_INFINITY, last };
      }),
    );
    return { elapsed: res.map((x) => x.elapsed), last: res.map((x) => x.last) };
  }

  async function customer(): Promise<Customer> {
    const cu = await newCustomer(p.siteUrl, admin, { balance: 1_000_000_000, tag: 'propagation' });
    await waitForKey(
      p.relays.map((r) => r.url),
      cu.key,
    );
    return cu;
  }

  it('disabling a channel: both relays route around it, then refuse when none is left; enabling is live too', async () => {
    const cu = await customer();
    for (const r of p.relays) expect(await outcome(r.url, cu.key)).toBe('A');

    await admin.channels.setStatus.mutate({ id: channelA, status: 'manual_disabled' });
    let t0 = Date.now();
    const around = await untilEveryRelay(t0, cu.key, (o) => o === 'B');
    figures.push(`channel disabled → route around: ${around.elapsed.join(' / ')} ms`);
    expect(around.last).toEqual(['B', 'B']);
    for (const ms of around.elapsed) expect(ms).toBeLessThan(BOUND_MS);

    await admin.channels.setStatus.mutate({ id: channelB, status: 'manual_disabled' });
    t0 = Date.now();
    const refused = await untilEveryRelay(t0, cu.key, (o) => /^(503|404) /.test(o));
    figures.push(`last channel disabled → refused: ${refused.elapsed.join(' / ')} ms`);
    for (const o of refused.last) expect(o).toMatch(/^(503 no_available_channel|404 model_not_found)$/);
    for (const ms of refused.elapsed) expect(ms).toBeLessThan(BOUND_MS);

    await admin.channels.setStatus.mutate({ id: channelA, status: 'enabled' });
    t0 = Date.now();
    const back = await untilEveryRelay(t0, cu.key, (o) => o === 'A');
    figures.push(`channel enabled → served again: ${back.elapsed.join(' / ')} ms`);
    expect(back.last).toEqual(['A', 'A']);
    for (const ms of back.elapsed) expect(ms).toBeLessThan(BOUND_MS);

    // and through Nginx (HTTPS), whichever relay it picks
    const api = new OpenAI({ apiKey: cu.key, baseURL: `${p.url}/v1`, maxRetries: 0, fetch: p.fetch });
    const viaNginx = await api.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'via nginx' }],
    });
    expect(viaNginx.usage?.completion_tokens).toBe(3);
    await admin.channels.setStatus.mutate({ id: channelB, status: 'enabled' });
  });

  it('resetting a key: both relays refuse the old key and accept the new one within a second', async () => {
    const cu = await customer();
    const { key: fresh } = await cu.client.tokens.reset.mutate({ id: cu.tokenId });
    const t0 = Date.now();
    expect(fresh).not.toBe(cu.key);
    const [old, renewed] = await Promise.all([
      untilEveryRelay(t0, cu.key, (o) => o === '401 invalid_api_key'),
      untilEveryRelay(t0, fresh, (o) => o === 'A'),
    ]);
    figures.push(
      `key reset → old refused: ${old.elapsed.join(' / ')} ms, new accepted: ${renewed.elapsed.join(' / ')} ms`,
    );
    expect(old.last).toEqual(['401 invalid_api_key', '401 invalid_api_key']);
    expect(renewed.last).toEqual(['A', 'A']);
    for (const ms of [...old.elapsed, ...renewed.elapsed]) expect(ms).toBeLessThan(BOUND_MS);
  });

  it('the admin disabling all keys of a user (leaked key): both relays refuse them within a second', async () => {
    const cu = await customer();
    await admin.users.disableAllKeys.mutate({ userId: cu.userId });
    const t0 = Date.now();
    const off = await untilEveryRelay(t0, cu.key, (o) => o.startsWith('401 ') || o.startsWith('403 '));
    figures.push(`all keys disabled → refused: ${off.elapsed.join(' / ')} ms (${off.last[0]})`);
    for (const o of off.last) expect(o).toMatch(/^(401|403) /);
    for (const ms of off.elapsed) expect(ms).toBeLessThan(BOUND_MS);
  });
});
