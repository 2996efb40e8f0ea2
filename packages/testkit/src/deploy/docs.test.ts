import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { relayErrorTable } from '@tollgate/relay/errors.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { waitForKey } from '../harness/customers.ts';
import { freePort, waitForHttp } from '../harness/ports.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Stack, startStack } from '../harness/stack.ts';
import {
  type DocBlock,
  envAssignments,
  matchesOutput,
  type ParsedDoc,
  parseDoc,
  runKindOf,
  tablesOf,
} from './docs-blocks.ts';
import { cloneLikeCheckout, outputShape, readerPath, root, runBlock, scratchDir } from './docs-run.ts';

/**
 * The docs check (issue #8): every fenced code block of the README and the user guide is either run as
 * written — shell with bash -euo pipefail, Python (against a stand-in `openai` module that makes the
 * real HTTP calls), JavaScript with Node and the real `openai` package — against a running stack, or
 * explicitly classified by a `<!-- docs-check: … -->` marker (see docs-blocks.ts). The README's quick
 * start runs its own `pnpm start --demo` in a checkout-like directory; the user guide runs against
 * site + relay with a priced model on a fake upstream and a key made the way the guide says. Every error
 * code in the guide's table is caused for real and compared with what the guide says.
 */

const README = 'README.md';
/** the English guide, and its 简体中文 translation (same code blocks and error table) once it exists */
const GUIDES = ['docs/user-guide.md', 'docs/zh-CN/user-guide.md'].filter(
  (f, i) => i === 0 || existsSync(join(root, f)),
);
const docs: Record<string, ParsedDoc> = Object.fromEntries(
  [README, ...GUIDES].map((f) => [f, parseDoc(f, readFileSync(join(root, f), 'utf8'))]),
);

/** Files whose `start` blocks the check knows how to run (the README quick start). */
const STARTS_IN = new Set([README]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const where = (b: DocBlock) => `${b.file}:${b.line} (${b.heading})`;

interface RunContext {
  /** values for the variables of env blocks */
  env: Record<string, string>;
  /** the documented value of an env variable is consistent with the value the check uses */
  checkEnvValue?: (name: string, documented: string, used: string) => void;
  start?: (block: DocBlock) => Promise<void>;
  scenario?: (name: string) => Promise<string>;
  /** runs around a runnable block that is not followed by its expected output */
  around?: (block: DocBlock, run: () => Promise<string>) => Promise<void>;
}

interface Tally {
  run: number;
  compared: number;
  env: number;
  skipped: number;
}

/** Runs or checks every block of a document in order; fails on the first block that does not hold. */
async function runDoc(doc: ParsedDoc, ctx: RunContext): Promise<Tally> {
  const tally: Tally = { run: 0, compared: 0, env: 0, skipped: 0 };
  const env: Record<string, string> = {};
  const dir = scratchDir();
  let previous: { block: DocBlock; stdout: string } | undefined;
  try {
    for (const [i, block] of doc.blocks.entries()) {
      const marker = block.marker;
      if (marker?.kind === 'skip') {
        tally.skipped++;
        continue;
      }
      if (marker?.kind === 'env') {
        for (const [name, documented] of envAssignments(block)) {
          const value = ctx.env[name];
          expect(value, `${where(block)}: the check has no value for ${name}`).toBeDefined();
          ctx.checkEnvValue?.(name, documented, value!);
          env[name] = value!;
        }
        tally.env++;
        continue;
      }
      if (marker?.kind === 'start') {
        expect(ctx.start, `${where(block)}: no server start is expected here`).toBeDefined();
        await ctx.start!(block);
        tally.run++;
        continue;
      }
      if (marker?.kind === 'output') {
        expect(
          previous,
          `${where(block)}: an output block must follow the block that prints it`,
        ).toBeDefined();
        expect(
          matchesOutput(block.text, previous!.stdout),
          `${where(block)}: ${where(previous!.block)} printed\n${previous!.stdout}\nnot\n${block.text}`,
        ).toBe(true);
        previous = undefined;
        tally.compared++;
        continue;
      }
      if (marker?.kind === 'relay-output') {
        expect(ctx.scenario, `${where(block)}: no relay scenarios here`).toBeDefined();
        const actual = await ctx.scenario!(marker.arg);
        expect(matchesOutput(block.text, actual), `${where(block)}: the relay sent\n${actual}`).toBe(true);
        tally.compared++;
        continue;
      }
      const kind = runKindOf(block.lang);
      expect(kind, `${where(block)}: unclassified ${block.lang || 'plain'} block`).toBeDefined();
      const expectsOutput = doc.blocks[i + 1]?.marker?.kind === 'output';
      const exec = async () => {
        const r = await runBlock(kind!, block, env, dir);
        expect(
          r.code,
          `${where(block)} exited ${r.code}\n${block.text}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
        ).toBe(0);
        previous = { block, stdout: r.stdout };
        return r.stdout;
      };
      tally.run++;
      if (expectsOutput) {
        await exec();
        continue;
      }
      const check = async () => {
        const stdout = await exec();
        const calls = /chat[./]completions/.test(block.text);
        const streams = /"stream":\s*true|stream=True|stream: true/.test(block.text);
        if (kind === 'shell') {
          expect(outputShape(stdout), `${where(block)} printed\n${stdout}`).toBe(streams ? 'sse' : 'json');
        } else if (calls) {
          // the fake upstream's answer ("hello world the quick …") came back through the relay
          expect(stdout, `${where(block)} printed`).toMatch(/hello world/);
        }
        if (/include_usage/.test(block.text)) expect(stdout).toMatch(/\n\d+ tokens\n?$/);
        return stdout;
      };
      if (ctx.around) await ctx.around(block, check);
      else await check();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tally;
}

const scenarios = ['stream-interrupted'];

describe('docs: every code block is run or classified', () => {
  it('has no unclassified block, stray marker or skip without a reason', () => {
    const problems: string[] = [];
    const counts: Record<string, number> = {};
    for (const [file, doc] of Object.entries(docs)) {
      problems.push(...doc.problems);
      for (const [i, b] of doc.blocks.entries()) {
        const m = b.marker;
        const kind = m?.kind ?? (runKindOf(b.lang) ? 'run' : 'unclassified');
        counts[kind] = (counts[kind] ?? 0) + 1;
        if (kind === 'unclassified') problems.push(`${where(b)}: unclassified ${b.lang || 'plain'} block`);
        if (m?.kind === 'skip' && m.arg.length < 10) problems.push(`${where(b)}: a skip needs a reason`);
        if (m?.kind === 'start' && !STARTS_IN.has(file)) problems.push(`${where(b)}: no start runner here`);
        if (m?.kind === 'relay-output' && !scenarios.includes(m.arg))
          problems.push(`${where(b)}: unknown scenario "${m.arg}"`);
        if (
          m?.kind === 'output' &&
          !(i > 0 && runKindOf(doc.blocks[i - 1]!.lang) && !doc.blocks[i - 1]!.marker)
        )
          problems.push(`${where(b)}: an output block must follow a block the check runs`);
      }
    }
    expect(problems).toEqual([]);
    // not vacuous: most blocks run; skips stay few
    expect(counts.run).toBeGreaterThanOrEqual(10);
    expect(counts.skip ?? 0).toBeLessThanOrEqual(6);
  });

  it.each(GUIDES)('%s has a first call and a stream in curl, Python and Node', (file) => {
    const runnable = docs[file]!.blocks.filter((b) => !b.marker);
    for (const lang of ['sh', 'python', 'js']) {
      const calls = runnable.filter((b) => b.lang === lang && /chat[./]completions/.test(b.text));
      const streams = calls.filter((b) => /"stream":\s*true|stream=True|stream: true/.test(b.text));
      expect(calls.length - streams.length, `${file}: a plain ${lang} call`).toBeGreaterThanOrEqual(1);
      expect(streams.length, `${file}: a ${lang} stream`).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('docs: README quick start, as written', () => {
  let server: ChildProcess | undefined;
  let exited: Promise<void> | undefined;
  let checkout: string | undefined;
  let output = '';

  afterAll(async () => {
    if (server?.pid && server.exitCode === null && server.signalCode === null) {
      // the whole process group: npx → pnpm → node start.ts → relay, site, fake upstream
      process.kill(-server.pid, 'SIGTERM');
      const t = setTimeout(() => server?.pid && process.kill(-server.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    if (checkout) rmSync(checkout, { recursive: true, force: true });
  });

  it('starts site + relay with the demo upstream and answers the curl example', async () => {
    const [relayPort, sitePort, demoPort] = [await freePort(), await freePort(), await freePort()];
    const env: Record<string, string> = {};
    const tally = await runDoc(docs[README]!, {
      env,
      checkEnvValue(name, documented, used) {
        // the README's address is the default relay port; the check moved it with TOLLGATE_RELAY_PORT
        if (name === 'TOLLGATE_BASE_URL') expect(documented.replace(':3000/', `:${relayPort}/`)).toBe(used);
      },
      async start(block) {
        checkout = cloneLikeCheckout();
        server = spawn('bash', ['-euo', 'pipefail', '-c', block.text], {
          cwd: checkout,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            PATH: readerPath(),
            HOME: process.env.HOME ?? '/tmp',
            // the ports the README names for running beside something else
            TOLLGATE_RELAY_PORT: String(relayPort),
            TOLLGATE_SITE_PORT: String(sitePort),
            TOLLGATE_DEMO_UPSTREAM_PORT: String(demoPort),
          },
        });
        const keep = (b: Buffer) => {
          output += b.toString();
        };
        server.stdout!.on('data', keep);
        server.stderr!.on('data', keep);
        exited = new Promise((r) => server!.once('exit', () => r()));
        await Promise.all([
          // npx resolving pnpm, then three processes starting: slow when the suite loads both cores
          waitForHttp(`http://localhost:${relayPort}/readyz`, { timeoutMs: 120_000 }),
          waitForHttp(`http://localhost:${sitePort}/register`, { timeoutMs: 120_000 }),
        ]).catch((err: Error) => {
          throw new Error(`${err.message}\n${output}`);
        });
        // "prints the first admin's e-mail and a generated password once"
        const email = /e-mail:\s+(\S+)/.exec(output)?.[1];
        const password = /password:\s+(\S+)/.exec(output)?.[1];
        expect(email && password, output).toBeTruthy();
        expect(output).toContain(`relay: http://localhost:${relayPort}/v1`);
        // the embedded default: SQLite under ./data of the checkout, no Redis
        expect(existsSync(join(checkout, 'data/tollgate.db'))).toBe(true);
        const admin = siteClient(`http://localhost:${sitePort}`);
        await admin.auth.login.mutate({ email: email!, password: password! });
        // "sign up at /register, create a key under API keys"
        const user = siteClient(`http://localhost:${sitePort}`);
        await user.auth.register.mutate({ email: 'reader@example.com', password: 'reader-pass-1' });
        const { key } = await user.tokens.create.mutate({ name: 'quick-start' });
        await waitForKey([`http://localhost:${relayPort}`], key, 5000);
        Object.assign(env, { TOLLGATE_BASE_URL: `http://localhost:${relayPort}/v1`, TOLLGATE_KEY: key });
      },
    });
    expect(tally).toEqual({ run: 2, compared: 0, env: 1, skipped: 6 });
  }, 180_000);
});

describe('docs: user guide against a running stack', () => {
  let stack: Stack;
  let upstream: FakeUpstream;
  let admin: SiteClient;
  let user: SiteClient;
  let key: string;
  let relay: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    stack = await startStack(
      'embedded',
      {
        TOLLGATE_CHANNEL__COOLDOWN_SECONDS: '0',
        TOLLGATE_CHANNEL__AUTO_DISABLE_FAILURES: '0',
        // upstream_timeout within a second
        TOLLGATE_RELAY_TIMEOUT: '1000',
      },
      { freeModels: false },
    );
    relay = stack.relayUrl;
    admin = siteClient(stack.siteUrl);
    await admin.auth.login.mutate(stack.admin);
    await admin.channels.create.mutate({
      name: 'upstream',
      baseUrl: upstream.url,
      keys: ['sk-upstream-000001'],
      models: ['gpt-4o-mini', 'unpriced-model'],
    });
    await admin.prices.set.mutate({ model: 'gpt-4o-mini', inputPrice: 75_000, outputPrice: 300_000 });
    // the guide's steps 1–3: register, top up with a redemption code, create a key
    user = siteClient(stack.siteUrl);
    await user.auth.register.mutate({ email: 'guide-reader@example.com', password: 'reader-pass-1' });
    const { codes } = await admin.codes.generate.mutate({ count: 1, value: 5_000_000 });
    expect(codes[0]).toMatch(/^TG(-[0-9A-Z]{4}){4}$/);
    // "case and the dashes do not matter"
    const typed = codes[0]!.toLowerCase().replaceAll('-', '');
    expect((await user.codes.redeem.mutate({ code: typed })).credited).toBe(5_000_000);
    ({ key } = await user.tokens.create.mutate({ name: 'my-laptop' }));
    await waitForKey([relay], key);
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('names Portal pages that exist', async () => {
    // the reader's session, as a browser signs in
    const login = await fetch(`${stack.siteUrl}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tollgate-csrf': '1' },
      body: JSON.stringify({ email: 'guide-reader@example.com', password: 'reader-pass-1' }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('tg_session='))!;
    expect(cookie).toBeDefined();
    for (const file of GUIDES) {
      const text = readFileSync(join(root, file), 'utf8');
      const paths = [...new Set([...text.matchAll(/`(\/(?:portal\/[a-z/]*|register))`/g)].map((m) => m[1]!))];
      expect(paths.length).toBeGreaterThanOrEqual(6);
      for (const path of paths) {
        const res = await fetch(`${stack.siteUrl}${path}`, {
          // the Portal as the signed-in reader; /register as a visitor
          headers: path.startsWith('/portal') ? { cookie } : {},
          redirect: 'manual',
        });
        await res.body?.cancel();
        expect(res.status, `${file}: ${path}`).toBe(200);
      }
    }
  });

  it.each(GUIDES)('%s: every block runs as written', async (file) => {
    const tally = await runDoc(docs[file]!, {
      env: { TOLLGATE_BASE_URL: `${relay}/v1`, TOLLGATE_KEY: key },
      async around(block, check) {
        const before = upstream.requests.length;
        await check();
        if (!/chat[./]completions/.test(block.text)) return;
        // the example really went through the relay to the upstream, streaming when it says so
        const sent = upstream.requests.slice(before);
        expect(sent.length, `${where(block)}: requests that reached the upstream`).toBeGreaterThanOrEqual(1);
        const streams = /"stream":\s*true|stream=True|stream: true/.test(block.text);
        for (const r of sent) expect((r.body as { stream?: boolean }).stream === true).toBe(streams);
      },
      async scenario(name) {
        expect(name).toBe('stream-interrupted');
        upstream.setBehaviour({ fault: 'reset-mid-stream' });
        try {
          const res = await fetch(`${relay}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              model: 'gpt-4o-mini',
              stream: true,
              messages: [{ role: 'user', content: 'x' }],
            }),
          });
          expect(res.status).toBe(200);
          const events = (await res.text()).trim().split(/\n\n+/);
          expect(events.length).toBeGreaterThan(1);
          return events.at(-1)!;
        } finally {
          upstream.resetBehaviour();
        }
      },
    });
    expect(tally.run).toBeGreaterThanOrEqual(9);
    expect(tally.compared).toBe(3 + 1);
    expect(tally.skipped).toBe(0);
  });

  it('causes every error code in the table and gets what the guide says', async () => {
    type Row = { status: number; code: string; type: string; todo: string };
    const allCodes = Object.keys(relayErrorTable) as (keyof typeof relayErrorTable)[];
    const rowsOf = (file: string): Map<string, Row> => {
      const md = readFileSync(join(root, file), 'utf8');
      const table = tablesOf(md).find(
        (t) => t[0]!.includes('HTTP') && t[0]!.includes('`code`') && t[0]!.includes('`type`'),
      );
      expect(table, `${file}: the errors table (HTTP | \`code\` | \`type\` | …)`).toBeDefined();
      const [head, ...body] = table!;
      const col = (name: string) => head!.indexOf(name);
      const rows = new Map<string, Row>();
      for (const cells of body) {
        const code = cells[col('`code`')]!.replaceAll('`', '');
        expect(rows.has(code), `${file}: ${code} twice`).toBe(false);
        rows.set(code, {
          status: Number(cells[col('HTTP')]),
          code,
          type: cells[col('`type`')]!.replaceAll('`', ''),
          todo: cells.at(-1)!,
        });
      }
      return rows;
    };
    const docRows = GUIDES.map((f) => [f, rowsOf(f)] as const);
    for (const [file, rows] of docRows) {
      // every code the relay can send is documented, as errors.ts defines it, with what to do
      expect([...rows.keys()].sort(), file).toEqual([...allCodes].sort());
      for (const code of allCodes) {
        const [status, type] = relayErrorTable[code];
        const row = rows.get(code)!;
        expect({ status: row.status, type: row.type }, `${file}: ${code}`).toEqual({ status, type });
        expect(row.todo.length, `${file}: ${code} says what to do`).toBeGreaterThan(5);
      }
    }

    const chat = (
      k: string,
      body: unknown = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] },
      headers: Record<string, string> = {},
    ) =>
      fetch(`${relay}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    /** the call, repeated until it gives `code` (configuration reaches the relay within a second) */
    const until = async (code: string, call: () => Promise<Response>) => {
      const deadline = Date.now() + 4000;
      for (;;) {
        const res = await call();
        const text = await res.text();
        const got = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        if (got === code || Date.now() > deadline) return { res, text };
        await sleep(50);
      }
    };
    const newKey = async (c: SiteClient, o: Parameters<SiteClient['tokens']['create']['mutate']>[0]) =>
      (await c.tokens.create.mutate(o)).key;
    const newUser = async (tag: string) => {
      const c = siteClient(stack.siteUrl);
      const { userId } = await c.auth.register.mutate({
        email: `${tag}@example.com`,
        password: 'reader-pass-1',
      });
      return { c, userId };
    };
    const withBehaviour = async (
      b: Parameters<FakeUpstream['setBehaviour']>[0],
      call: () => Promise<Response>,
    ) => {
      upstream.setBehaviour(b);
      try {
        const res = await call();
        return { res, text: await res.text() };
      } finally {
        upstream.resetBehaviour();
      }
    };

    const triggers: Record<string, () => Promise<{ res: Response; text: string }>> = {
      invalid_api_key: () => until('invalid_api_key', () => chat('sk-not-a-real-key')),
      key_disabled: async () => {
        const { key: k, token } = await user.tokens.create.mutate({ name: 'to-disable' });
        await user.tokens.setStatus.mutate({ id: token.id, status: 'disabled' });
        return until('key_disabled', () => chat(k));
      },
      key_expired: async () => {
        const k = await newKey(user, { name: 'expired', expiresAt: Date.now() - 60_000 });
        return until('key_expired', () => chat(k));
      },
      user_disabled: async () => {
        const { c, userId } = await newUser('disabled-reader');
        const k = await newKey(c, { name: 'k' });
        await admin.users.update.mutate({ userId, status: 'disabled' });
        return until('user_disabled', () => chat(k));
      },
      ip_not_allowed: async () => {
        const k = await newKey(user, { name: 'office-only', allowedIps: ['203.0.113.7'] });
        return until('ip_not_allowed', () => chat(k));
      },
      group_not_allowed: async () => {
        await admin.groups.create.mutate({ name: 'vip' });
        await admin.settings.set.mutate({ user_selectable_groups: ['vip'] });
        const k = await newKey(user, { name: 'vip-key', group: 'vip' });
        await admin.settings.set.mutate({ user_selectable_groups: [] });
        return until('group_not_allowed', () => chat(k));
      },
      model_not_allowed: async () => {
        const k = await newKey(user, { name: 'gpt-4o-only', models: ['gpt-4o'] });
        return until('model_not_allowed', () => chat(k));
      },
      model_not_found: () =>
        until('model_not_found', () =>
          chat(key, { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
        ),
      model_price_not_set: () =>
        until('model_price_not_set', () =>
          chat(key, { model: 'unpriced-model', messages: [{ role: 'user', content: 'x' }] }),
        ),
      insufficient_balance: async () => {
        const { c } = await newUser('broke-reader');
        const k = await newKey(c, { name: 'k' });
        return until('insufficient_balance', () => chat(k));
      },
      insufficient_quota: async () => {
        const k = await newKey(user, { name: 'tiny-limit', unlimitedQuota: false, remainQuota: 1 });
        return until('insufficient_quota', () => chat(k));
      },
      rate_limited: async () => {
        const k = await newKey(user, { name: 'one-per-minute', rpmLimit: 1 });
        return until('rate_limited', () => chat(k));
      },
      invalid_request: () =>
        until('invalid_request', () => chat(key, { messages: [{ role: 'user', content: 'x' }] })),
      invalid_json: () => until('invalid_json', () => chat(key, '{"model":"gpt-4o-mini",')),
      unsupported_media_type: () =>
        until('unsupported_media_type', () => chat(key, 'hello', { 'content-type': 'text/plain' })),
      payload_too_large: () =>
        until('payload_too_large', () =>
          chat(key, {
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'x'.repeat(9 * 1024 * 1024) }],
          }),
        ),
      content_blocked: async () => {
        await admin.settings.set.mutate({
          sensitive_words: ['forbidden-word'],
          sensitive_words_action: 'refuse',
        });
        return until('content_blocked', () =>
          chat(key, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a forbidden-word here' }] }),
        );
      },
      upstream_bad_request: () => withBehaviour({ fault: { status: 400 } }, () => chat(key)),
      upstream_error: () => withBehaviour({ fault: { status: 500 } }, () => chat(key)),
      upstream_timeout: () => withBehaviour({ fault: 'hang' }, () => chat(key)),
      not_found: () =>
        until('not_found', () =>
          fetch(`${relay}/v1/no-such-endpoint`, { headers: { authorization: `Bearer ${key}` } }),
        ),
    };
    // what a client cannot cause on purpose: their rows are checked against errors.ts above only
    const notCaused: Record<string, string> = {
      not_ready: 'only before a starting relay has loaded its first snapshot',
      internal_error: 'only on a bug',
      billing_unavailable:
        'only while the database is down and the settlement backlog is full (the MySQL survival test causes it)',
      no_available_channel:
        'only when every attempt ran out before reaching an upstream (client gone or deadline)',
    };
    expect([...Object.keys(triggers), ...Object.keys(notCaused)].sort()).toEqual([...allCodes].sort());

    for (const [code, trigger] of Object.entries(triggers)) {
      const { res, text } = await trigger();
      const body = JSON.parse(text) as { error: { code: string; type: string; message: string } };
      const row = docRows[0]![1].get(code)!;
      expect(
        { status: res.status, code: body.error.code, type: body.error.type },
        `${code}: ${text}`,
      ).toEqual({
        status: row.status,
        code,
        type: row.type,
      });
      expect(res.headers.get('x-request-id'), code).toMatch(/^req_/);
    }
  });
});
