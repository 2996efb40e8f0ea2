import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/ports.ts';
import { fixedRate, throughput } from './load.ts';
import { startProcess } from './processes.ts';
import { seedEmbedded } from './seed.ts';

const [mode = 'chat', profDir = '', level = '', entry = '/work/main/packages/relay/src/main.ts', secs = '8'] =
  process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'tg-prof-'));
const upPort = await freePort();
const up = await startProcess({
  name: 'up',
  args: [
    '/work/main/packages/testkit/src/fake-upstream/main.ts',
    '--port',
    String(upPort),
    '--chunks',
    '20',
    '--max-log-entries',
    '0',
  ],
  url: `http://127.0.0.1:${upPort}`,
  readyPath: '/healthz',
  cwd: work,
  logFile: join(work, 'u.log'),
});
const { key } = await seedEmbedded({ dataDir: join(work, 'data'), upstreamUrl: up.url });
const port = await freePort();
const flags = profDir === 'gc' ? ['--trace-gc'] : profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
if (profDir && profDir !== 'gc') mkdirSync(profDir, { recursive: true });
const relay = await startProcess({
  name: 'relay',
  args: [...flags, entry],
  url: `http://127.0.0.1:${port}`,
  readyPath: '/readyz',
  env: {
    TOLLGATE_DATA_DIR: join(work, 'data'),
    TOLLGATE_RELAY_PORT: String(port),
    TOLLGATE_HOST: '127.0.0.1',
    ...(level ? { TOLLGATE_LOG_LEVEL: level } : {}),
  },
  cwd: work,
  logFile: join(work, 'r.log'),
});
const w = {
  path: '/v1/chat/completions',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  body: JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
    ...(mode === 'stream' ? { stream: true } : {}),
  }),
  stream: mode === 'stream',
};
{
  const res = await fetch(relay.url + w.path, { method: 'POST', headers: w.headers, body: w.body });
  console.log('probe', res.status, (await res.text()).slice(-300));
}
await throughput(relay.url, w, { connections: 50, seconds: 2 });
const r: any = process.env.RATE
  ? await fixedRate(relay.url, w, { rate: Number(process.env.RATE), seconds: Number(secs) })
  : await throughput(relay.url, w, { connections: 50, seconds: Number(secs) });
console.log(
  mode,
  level || 'info',
  entry.split('/').pop(),
  Math.round(r.rps),
  'req/s p50',
  r.p50,
  'p99',
  r.p99,
  'failed',
  r.failed,
  'rss',
  relay.rss(),
);
if (profDir === 'gc') {
  const { readFileSync } = await import('node:fs');
  const lines = readFileSync(join(work, 'r.log'), 'utf8').split('\n');
  const ms = (re: RegExp) => lines.filter((l) => re.test(l)).map((l) => Number(/, ([\d.]+) \/ [\d.]+ ms/.exec(l)?.[1] ?? 0));
  const mc = ms(/Mark-Compact/), sc = ms(/Scavenge/);
  console.log('mark-compact', mc.length, 'max', Math.max(...mc), 'sum', mc.reduce((a, b) => a + b, 0).toFixed(0), '| scavenge', sc.length, 'max', Math.max(...sc), 'sum', sc.reduce((a, b) => a + b, 0).toFixed(0));
  console.log(lines.filter((l) => /Scavenge/.test(l)).sort((a, b) => Number(/, ([\d.]+) \/ [\d.]+ ms/.exec(b)?.[1]) - Number(/, ([\d.]+) \/ [\d.]+ ms/.exec(a)?.[1])).slice(0, 6).join('\n'));
}
await relay.stop();
await up.stop();
rmSync(work, { recursive: true, force: true });
process.exit();
