import OpenAI from 'openai';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { newCustomer } from '../harness/customers.ts';
import type { SiteClient } from '../harness/site-client.ts';
import type { Prodlike } from './run.ts';
import { type ProdlikeTestStack, startProdlikeTestStack } from './test-stack.ts';

/** Requests a relay counted in its Prometheus metrics (read from the relay directly). */
async function relayRequests(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^tollgate_relay_requests_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

/**
 * The production-like topology (SPEC §8) without containers: two relays and the site on MariaDB +
 * Redis, Debian's Nginx in front with TLS, configured from the compose template.
 */
describe('production-like run: Nginx (TLS) → 2 relays + site on MariaDB + Redis', () => {
  let stack: ProdlikeTestStack;
  let up: FakeUpstream;
  let p: Prodlike;
  let admin: SiteClient;

  beforeAll(async () => {
    [stack, up] = await Promise.all([startProdlikeTestStack(), startFakeUpstream({ maxLogEntries: 0 })]);
    ({ p, admin } = stack);
    await admin.channels.create.mutate({
      name: 'up',
      baseUrl: up.url,
      keys: ['sk-up-000001'],
      models: ['gpt-4o-mini'],
    });
    await admin.prices.set.mutate({ model: 'gpt-4o-mini', inputPrice: 100_000, outputPrice: 300_000 });
  });
  afterAll(async () => {
    await Promise.all([stack?.stop(), up?.close()]);
  });

  it('serves the site over HTTPS with a certificate only the local CA vouches for; HTTP redirects', async () => {
    const page = await p.fetch(`${p.url}/login`);
    expect(page.status).toBe(200);
    expect(page.headers.get('server')).toMatch(/^nginx/);
    expect(await page.text()).toContain('<html');
    // without the CA the certificate is refused: TLS is verified, not switched off
    const untrusted = new Agent();
    const err = await request(`${p.url}/login`, { dispatcher: untrusted }).catch((e: unknown) => e);
    await untrusted.close();
    expect(String((err as Error & { code?: string }).code ?? err)).toMatch(
      /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/,
    );
    const plain = await request(`${p.httpUrl}/v1/models?x=1`);
    await plain.body.dump();
    expect(plain.statusCode).toBe(301);
    expect(plain.headers.location).toBe(`${p.url}/v1/models?x=1`);
  });

  it('sends /v1 to both relays and streams server-sent events through without buffering', async () => {
    const cu = await newCustomer(p.siteUrl, admin, { balance: 1_000_000_000, tag: 'prodlike' });
    const openai = new OpenAI({ apiKey: cu.key, baseURL: `${p.url}/v1`, maxRetries: 0, fetch: p.fetch });
    const before = await Promise.all(p.relays.map((r) => relayRequests(r.url)));
    // the key reaches the relays through Redis within a second
    const deadline = Date.now() + 2000;
    for (;;) {
      try {
        await openai.models.list();
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      ),
    );
    expect(answers.every((a) => a.choices[0]?.message.content)).toBe(true);
    const after = await Promise.all(p.relays.map((r) => relayRequests(r.url)));
    for (let i = 0; i < p.relays.length; i++) expect(after[i]! - before[i]!).toBeGreaterThan(0);

    // 6 chunks 250 ms apart: a buffering proxy would hand them over all at once at the end
    up.setBehaviour({ chunks: 6, chunkDelayMs: 250 });
    try {
      const started = Date.now();
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'stream' }],
      });
      const arrivals: number[] = [];
      for await (const chunk of stream)
        if (chunk.choices[0]?.delta.content) arrivals.push(Date.now() - started);
      expect(arrivals.length).toBe(6);
      expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(1000);
    } finally {
      up.resetBehaviour();
    }
  });

  it('passes /metrics from 127.0.0.1 to a relay, and relay errors keep their OpenAI shape', async () => {
    const res = await p.fetch(`${p.url}/metrics`);
    // from 127.0.0.1 Nginx lets it through to a relay
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('tollgate_relay_requests_total');
    const bad = await p.fetch(`${p.url}/v1/models`, { headers: { authorization: 'Bearer sk-nonsense' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });
});
