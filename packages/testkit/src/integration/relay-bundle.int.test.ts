import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedEmbedded } from '../bench/seed.ts';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.ts';
import { freePort, waitForHttp } from '../harness/ports.ts';
import { type ManagedProcess, spawnNode } from '../harness/stack.ts';

const relayDir = resolve(import.meta.dirname, '../../../relay');

/**
 * The one-file relay (`pnpm --filter @tollgate/relay build`) runs with nothing installed: the bundle is
 * built from the current source, copied alone into an empty directory outside the workspace, and
 * started on a migrated SQLite data dir seeded through the control-plane services.
 */
describe('relay bundle (dist/tollgate-relay.mjs)', () => {
  let upstream: FakeUpstream;
  let relay: ManagedProcess | undefined;
  let relayUrl: string;
  let key: string;
  const runDir = mkdtempSync(join(tmpdir(), 'tg-bundle-run-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'tg-bundle-data-'));

  beforeAll(async () => {
    const built = spawnSync(process.execPath, [join(relayDir, 'build.ts')], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`relay build failed:\n${built.stdout}\n${built.stderr}`);
    copyFileSync(join(relayDir, 'dist/tollgate-relay.mjs'), join(runDir, 'tollgate-relay.mjs'));

    upstream = await startFakeUpstream({ apiKey: 'sk-bundle-upstream' });
    ({ key } = await seedEmbedded({ dataDir, upstreamUrl: upstream.url, upstreamKey: 'sk-bundle-upstream' }));
    const port = await freePort();
    relayUrl = `http://127.0.0.1:${port}`;
    relay = spawnNode(
      'bundled relay',
      ['tollgate-relay.mjs'],
      {
        TOLLGATE_DATA_DIR: dataDir,
        TOLLGATE_RELAY_PORT: String(port),
        TOLLGATE_HOST: '127.0.0.1',
        TOLLGATE_LOG_LEVEL: 'warn',
      },
      { cwd: runDir },
    );
    await waitForHttp(`${relayUrl}/readyz`, { timeoutMs: 10_000 }).catch((err) => {
      throw new Error(`${err.message}\n${relay?.output()}`);
    });
  });
  afterAll(async () => {
    await relay?.stop();
    await upstream?.close();
    rmSync(runDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a chat completion from a directory holding only the bundle', async () => {
    expect(readdirSync(runDir)).toEqual(['tollgate-relay.mjs']);
    const client = new OpenAI({ apiKey: key, baseURL: `${relayUrl}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello from the bundle' }],
    });
    expect(completion.choices[0]?.message.content).toContain('hello');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(upstream.requests.at(-1)?.authorization).toBe('Bearer sk-bundle-upstream');

    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(relay?.child.exitCode).toBeNull();
  });
});
