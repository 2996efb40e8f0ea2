/**
 * `pnpm bench`: how much the relay costs on top of the cheapest possible Node proxy.
 *
 * Starts, each in a process of its own: the fake upstream, a baseline proxy (node:http piping over
 * keep-alive) and the real relay (`packages/relay/src/main.ts`, embedded SQLite in a temp data dir,
 * default config, a key and a channel created through the control-plane services). Then:
 *   1. throughput: autocannon, closed loop, N connections, for non-streaming and streaming chat, against
 *      (a) the upstream directly, (b) the baseline, (c) the relay — req/s, p50/p99, c/b;
 *   2. added latency: an open loop at a fixed rate against (b) and (c) — p50/p99 of the whole answer
 *      and of the time to the first body byte, relay minus baseline;
 *   3. billing mode: a second relay with batch_update_enabled;
 *   4. alerts on vs off: two more relays, both with a sensitive-word list, one with alerts_enabled=false
 *      (no traffic counters, no prompt screen), measured on-off-off-on in half-length slices;
 *   5. the relay's RSS before and after.
 * `--soak <seconds>` instead runs the soak of soak.ts: a steady open-loop rate of (mostly streaming) chat
 * completions through one relay in production mode (MariaDB + Redis), with figures every interval, a
 * drift summary, a leak check and the accounting check; it exits 1 when a request failed, the books
 * are off or the relay kept connections/fds after the load.
 * Everything is stopped and the temp dirs removed at the end, on an error, and on Ctrl+C.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../harness/ports.ts';
import {
  fixedRate,
  type LatencyStats,
  probe,
  type ThroughputResult,
  throughput,
  type Workload,
} from './load.ts';
import { type BenchProcess, Cleanup, startProcess } from './processes.ts';
import { seedEmbedded } from './seed.ts';
import { runSoak } from './soak.ts';

const root = resolve(import.meta.dirname, '../../../..');
const upstreamEntry = join(root, 'packages/testkit/src/fake-upstream/main.ts');
const baselineEntry = join(root, 'packages/testkit/src/bench/baseline-proxy.ts');

const usage = `pnpm bench [--duration 10] [--warmup 3] [--connections 50] [--rate 500] [--chunks 20]
           [--relay packages/relay/src/main.ts] [--relay-log-level info] [--cpu-prof DIR]
pnpm bench --soak SECONDS [--rate 200] [--stream | --stream-share 0.9] [--interval 10] [--chunks 20]
           [--chunk-delay-ms 5] [--customers 4] [--mode production|embedded] [--settle 30]
           [--relay …] [--relay-log-level …] [--cpu-prof DIR]
  --soak: open loop at --rate req/s for SECONDS through one relay (production: a fresh database on the
  MariaDB of TOLLGATE_TEST_MYSQL_URL, default mysql://root@127.0.0.1:3306, and a prefix of its own on the
  Redis of TOLLGATE_TEST_REDIS_URL, default redis://127.0.0.1:6379); --stream = every request streams.`;

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string' },
    chunks: { type: 'string', default: '20' },
    relay: { type: 'string', default: 'packages/relay/src/main.ts' },
    'relay-log-level': { type: 'string' },
    'cpu-prof': { type: 'string' },
    soak: { type: 'string' },
    stream: { type: 'boolean' },
    'stream-share': { type: 'string' },
    interval: { type: 'string' },
    'chunk-delay-ms': { type: 'string' },
    customers: { type: 'string' },
    mode: { type: 'string' },
    settle: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (args.help) {
  console.log(usage);
  process.exit(0);
}
function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number\n${usage}`);
    process.exit(2);
  }
  return n;
}
const seconds = positive('duration', args.duration);
const warmup = args.warmup === '0' ? 0 : positive('warmup', args.warmup);
const connections = positive('connections', args.connections);
const soakSeconds = args.soak === undefined ? undefined : positive('soak', args.soak);
const rate = positive('rate', args.rate ?? (soakSeconds === undefined ? '500' : '200'));
const chunks = positive('chunks', args.chunks);
const relayEntry = resolve(root, args.relay);

const mib = (kib: number | undefined) => (kib === undefined ? '?' : `${(kib / 1024).toFixed(0)} MiB`);
const num = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const signed = (n: number) => (Number.isFinite(n) ? `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(2)}` : '–');

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

const cleanup = new Cleanup();
cleanup.onSignals();
const work = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
cleanup.add(() => rmSync(work, { recursive: true, force: true }));

async function startUpstream(): Promise<BenchProcess> {
  const port = await freePort();
  const p = await startProcess({
    name: 'fake upstream',
    args: [upstreamEntry, '--port', String(port), '--chunks', String(chunks), '--max-log-entries', '0'],
    url: `http://127.0.0.1:${port}`,
    readyPath: '/healthz',
    cwd: root,
    logFile: join(work, 'upstream.log'),
  });
  cleanup.add(() => p.stop());
  return p;
}

async function startBaseline(upstream: BenchProcess): Promise<BenchProcess> {
  const port = await freePort();
  const p = await startProcess({
    name: 'baseline proxy',
    args: [baselineEntry, '--port', String(port), '--upstream', upstream.url],
    url: `http://127.0.0.1:${port}`,
    readyPath: '/healthz',
    cwd: root,
    logFile: join(work, 'baseline.log'),
  });
  cleanup.add(() => p.stop());
  return p;
}

async function startRelay(
  upstream: BenchProcess,
  o: { batch?: boolean; alerts?: boolean; sensitiveWords?: string[]; tag?: string } = {},
): Promise<{ relay: BenchProcess; key: string; log: string }> {
  const tag = o.tag ?? '';
  const dataDir = join(work, `data${tag}`);
  const runDir = join(work, `run${tag}`);
  mkdirSync(runDir);
  const { key } = await seedEmbedded({
    dataDir,
    upstreamUrl: upstream.url,
    sensitiveWords: o.sensitiveWords,
  });
  const port = await freePort();
  const nodeFlags: string[] = [];
  if (args['cpu-prof']) {
    const dir = resolve(process.env.INIT_CWD ?? process.cwd(), args['cpu-prof']);
    mkdirSync(dir, { recursive: true });
    nodeFlags.push('--cpu-prof', '--cpu-prof-dir', dir);
    cleanup.add(() => console.log(`relay CPU profile written to ${dir}`));
  }
  const log = join(work, `relay${tag}.log`);
  const relay = await startProcess({
    name: 'relay',
    args: [...nodeFlags, relayEntry],
    url: `http://127.0.0.1:${port}`,
    readyPath: '/readyz',
    env: {
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_RELAY_PORT: String(port),
      TOLLGATE_HOST: '127.0.0.1',
      TOLLGATE_BATCH_UPDATE_ENABLED: String(o.batch === true),
      TOLLGATE_ALERTS_ENABLED: String(o.alerts !== false),
      ...(args['relay-log-level'] ? { TOLLGATE_LOG_LEVEL: args['relay-log-level'] } : {}),
    },
    // an empty directory: no config.yaml from the workspace is picked up
    cwd: runDir,
    logFile: log,
  });
  cleanup.add(() => relay.stop());
  return { relay, key, log };
}

function workloads(key: string): { name: string; w: Workload }[] {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  const messages = [{ role: 'user', content: 'Say hello to the benchmark.' }];
  return [
    {
      name: 'chat',
      w: {
        path: '/v1/chat/completions',
        headers,
        body: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 64 }),
        stream: false,
      },
    },
    {
      name: `chat stream (${chunks} chunks)`,
      w: {
        path: '/v1/chat/completions',
        headers,
        body: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 64, stream: true }),
        stream: true,
      },
    },
  ];
}

/** `abc1234`, `abc1234 + uncommitted changes` (relay, shared, migrations), or `unknown` outside git. */
function sourceRevision(): string {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'packages/relay', 'packages/shared', 'migrations');
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** `n` words such as an operator might list; the bench prompts contain none of them */
function sensitiveWordList(n: number): string[] {
  const stems = ['forbidden', 'blocked', 'secret', 'banned', 'illegal', 'restricted', 'exploit', 'weapon'];
  return Array.from({ length: n }, (_, i) => `${stems[i % stems.length]}-term-${i}`);
}

const reasons = (s: LatencyStats) =>
  Object.entries(s.failures)
    .map(([why, n]) => `${why} × ${n}`)
    .join(', ');

function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return (
    `${availableParallelism()} CPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `${process.platform} ${release()}, Node ${process.version}`
  );
}

async function runBench(): Promise<void> {
  const upstream = await startUpstream();
  const baseline = await startBaseline(upstream);
  const { relay, key, log } = await startRelay(upstream);
  const before = relay.rss();
  const targets = [
    { label: '(a) fake upstream direct', p: upstream },
    { label: '(b) baseline proxy', p: baseline },
    { label: '(c) relay', p: relay },
  ];

  console.log(
    `\n## Throughput: ${connections} connections, closed loop, ${seconds} s per phase` +
      (warmup ? ` after ${warmup} s of warm-up` : ''),
  );
  const rows: string[][] = [];
  let relayRequests = 0;
  for (const { name, w } of workloads(key)) {
    const got: ThroughputResult[] = [];
    for (const t of targets) {
      await probe(t.p.url, w, `${t.label} (${name})`);
      if (warmup) await throughput(t.p.url, w, { connections, seconds: warmup });
      const r = await throughput(t.p.url, w, { connections, seconds });
      if (t.p === relay) relayRequests += r.total;
      got.push(r);
      process.stderr.write(`  ${name} → ${t.label}: ${num(r.rps)} req/s\n`);
    }
    const b = got[1]!.rps;
    got.forEach((r, i) => {
      rows.push([
        name,
        targets[i]!.label,
        num(r.rps),
        num(r.p50),
        num(r.p99),
        num(r.failed),
        i === 2 ? (r.rps / b).toFixed(2) : '',
      ]);
    });
  }
  console.log(table(['request', 'target', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'c/b'], rows));

  console.log(
    `\n## Added latency: open loop at ${rate} req/s, ${seconds} s per phase (ms; TTFB = first body byte)`,
  );
  const lrows: string[][] = [];
  for (const { name, w } of workloads(key)) {
    if (warmup) {
      await fixedRate(baseline.url, w, { rate, seconds: warmup });
      await fixedRate(relay.url, w, { rate, seconds: warmup });
    }
    const b = await fixedRate(baseline.url, w, { rate, seconds });
    const c = await fixedRate(relay.url, w, { rate, seconds });
    relayRequests += c.count;
    const ms = (s: LatencyStats, k: 'p50' | 'p99' | 'ttfbP50' | 'ttfbP99') =>
      w.stream || !k.startsWith('ttfb') ? num(s[k], 2) : '–';
    const delta = (k: 'p50' | 'p99' | 'ttfbP50' | 'ttfbP99') =>
      w.stream || !k.startsWith('ttfb') ? signed(c[k] - b[k]) : '–';
    lrows.push([
      name,
      '(b) baseline',
      ms(b, 'p50'),
      ms(b, 'p99'),
      ms(b, 'ttfbP50'),
      ms(b, 'ttfbP99'),
      b.failed ? `${num(b.failed)} (${reasons(b)})` : '0',
    ]);
    lrows.push([
      name,
      '(c) relay',
      ms(c, 'p50'),
      ms(c, 'p99'),
      ms(c, 'ttfbP50'),
      ms(c, 'ttfbP99'),
      c.failed ? `${num(c.failed)} (${reasons(c)})` : '0',
    ]);
    lrows.push([
      name,
      'added by the relay',
      delta('p50'),
      delta('p99'),
      delta('ttfbP50'),
      delta('ttfbP99'),
      '',
    ]);
  }
  console.log(table(['request', 'target', 'p50', 'p99', 'TTFB p50', 'TTFB p99', 'failed'], lrows));

  // billing modes: the same relay with batch_update_enabled (aggregated ledger rows per batch)
  const batch = await startRelay(upstream, { batch: true, tag: '-batch' });
  const modeRows: string[][] = [];
  for (const { name, w } of workloads(key)) {
    const wb = { ...w, headers: { ...w.headers, authorization: `Bearer ${batch.key}` } };
    await probe(batch.relay.url, wb, `batch relay (${name})`);
    if (warmup) await throughput(batch.relay.url, wb, { connections, seconds: warmup });
    const r = await throughput(batch.relay.url, wb, { connections, seconds });
    const d = rows.find((row) => row[0] === name && row[1] === '(c) relay');
    modeRows.push([name, d?.[2] ?? '–', num(r.rps), num(r.p99)]);
  }
  await batch.relay.stop();
  console.log(`\n## Billing mode: default vs batch_update_enabled (${connections} connections)`);
  console.log(table(['request', 'default req/s', 'batch req/s', 'batch p99 ms'], modeRows));

  // alerts: the same relay with alerts_enabled true/false; both screen-ready (a word list no prompt matches)
  const words = sensitiveWordList(200);
  const on = await startRelay(upstream, { sensitiveWords: words, tag: '-alerts-on' });
  const off = await startRelay(upstream, { sensitiveWords: words, alerts: false, tag: '-alerts-off' });
  const alertRows: string[][] = [];
  // A-B-B-A in half-length slices: the two get the same total time, and a drift in the machine's load
  // (other processes on these shared cores) weighs on both alike
  const slice = Math.max(1, Math.round(seconds / 2));
  for (const { name, w } of workloads(key)) {
    const sides = [
      { label: 'alerts on', r: on, got: [] as ThroughputResult[] },
      { label: 'alerts off', r: off, got: [] as ThroughputResult[] },
    ];
    const wr = (r: typeof on) => ({ ...w, headers: { ...w.headers, authorization: `Bearer ${r.key}` } });
    for (const side of sides) {
      await probe(side.r.relay.url, wr(side.r), `${side.label} relay (${name})`);
      if (warmup) await throughput(side.r.relay.url, wr(side.r), { connections, seconds: warmup });
    }
    for (const side of [sides[0]!, sides[1]!, sides[1]!, sides[0]!]) {
      const got = await throughput(side.r.relay.url, wr(side.r), { connections, seconds: slice });
      process.stderr.write(`  ${name} → relay, ${side.label}: ${num(got.rps)} req/s\n`);
      side.got.push(got);
    }
    const [a, b] = sides.map(({ got }) => ({
      rps: got.reduce((n, g) => n + g.rps, 0) / got.length,
      p99: Math.max(...got.map((g) => g.p99)),
      failed: got.reduce((n, g) => n + g.failed, 0),
    }));
    const pct = ((a!.rps - b!.rps) / b!.rps) * 100;
    alertRows.push([
      name,
      num(a!.rps),
      num(b!.rps),
      `${signed(pct)} %`,
      num(a!.p99),
      num(b!.p99),
      num(a!.failed + b!.failed),
    ]);
  }
  await on.relay.stop();
  await off.relay.stop();
  console.log(
    `\n## Alerts on vs off: alerts_enabled true/false, ${words.length} sensitive words (none matching), ` +
      `${connections} connections, on-off-off-on in ${slice} s slices`,
  );
  console.log(
    table(['request', 'on req/s', 'off req/s', 'on vs off', 'on p99 ms', 'off p99 ms', 'failed'], alertRows),
  );

  const after = relay.rss();
  console.log(
    `\nRelay RSS: ${mib(before?.now)} before load, ${mib(after?.now)} after` +
      (after?.peak ? ` (peak ${mib(after.peak)})` : '') +
      `; it answered ~${num(relayRequests)} requests and wrote ${num(statSync(log).size / 2 ** 20, 1)} MiB of logs.`,
  );
}

async function soak(total: number): Promise<void> {
  const share = args.stream ? 1 : args['stream-share'] === undefined ? 0.9 : Number(args['stream-share']);
  if (!(share >= 0 && share <= 1)) {
    console.error(`--stream-share must be a number from 0 to 1\n${usage}`);
    process.exit(2);
  }
  const mode = args.mode ?? 'production';
  if (mode !== 'production' && mode !== 'embedded') {
    console.error(`--mode must be production or embedded\n${usage}`);
    process.exit(2);
  }
  const nodeFlags: string[] = [];
  if (args['cpu-prof']) {
    const dir = resolve(process.env.INIT_CWD ?? process.cwd(), args['cpu-prof']);
    mkdirSync(dir, { recursive: true });
    nodeFlags.push('--cpu-prof', '--cpu-prof-dir', dir);
    cleanup.add(() => console.log(`relay CPU profile written to ${dir}`));
  }
  const r = await runSoak({
    seconds: total,
    rate,
    streamShare: share,
    intervalSeconds: positive('interval', args.interval ?? '10'),
    mode,
    chunks,
    chunkDelayMs:
      args['chunk-delay-ms'] === '0' ? 0 : positive('chunk-delay-ms', args['chunk-delay-ms'] ?? '5'),
    customers: positive('customers', args.customers ?? '4'),
    settleSeconds: positive('settle', args.settle ?? '30'),
    relayEntry,
    relayLogLevel: args['relay-log-level'],
    relayNodeFlags: nodeFlags,
    cleanup,
  });
  if (r.totals.errorCount > 0 || !r.accounting.ok || !r.leaks.ok) process.exitCode = 1;
}

console.log(`# Tollgate relay benchmark\n\nMachine: ${describeMachine()}.`);
console.log(
  soakSeconds === undefined
    ? 'The load generator (this process), the fake upstream, the baseline proxy and the relay all run on this one ' +
        'machine and share its cores: the figures compare the relay with the baseline, they are not capacity.'
    : 'The load generator (this process), the fake upstream, the relay, MariaDB and Redis all run on this one ' +
        'machine and share its cores (and other work on it): the figures show stability over time, not capacity.',
);
console.log(
  `Relay: ${relative(root, relayEntry)} (source ${sourceRevision()}), ` +
    `${soakSeconds === undefined ? 'embedded SQLite in a temp data dir' : 'storage below'}, default config` +
    `${args['relay-log-level'] ? ` except log_level=${args['relay-log-level']}` : ' (log_level info; per-request lines are debug level)'}; ` +
    `fake upstream: ${chunks} content chunks, ${soakSeconds === undefined ? 'no delay' : 'delay below'}.`,
);
try {
  if (soakSeconds !== undefined) await soak(soakSeconds);
  else await runBench();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup.run();
}
process.exit();
