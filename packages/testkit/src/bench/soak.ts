/**
 * The soak: a steady open-loop rate of chat completions (mostly streams, some not) through one real
 * relay — production mode (a fresh MariaDB database, a namespace of its own on Redis) or embedded —
 * against the fake upstream, for minutes. Every interval it prints that interval's figures: requests,
 * errors by kind, latency and TTFT percentiles, and the relay's RSS, heap, open fds and sockets by
 * peer; at the end a summary: first-vs-last-third drift, an fd leak check after the load, and the
 * accounting check (every successful request billed exactly once, at the exact price).
 *
 * Open loop: request i is due at `i / rate` seconds whatever happened to the earlier ones, and its
 * latency is taken from that due time, so a slow relay shows as latency instead of as a lower rate.
 * The load generator's own lag (due time → handed to the socket) is printed beside it.
 *
 * Used by `pnpm bench --soak SECONDS` (main.ts) and by survival/soak.e2e.test.ts (a short run in CI).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, get, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDb, num } from '@tollgate/shared/db/index.ts';
import { costOf } from '@tollgate/shared/pricing.ts';
import { Redis } from 'ioredis';
import { booksOf } from '../harness/customers.ts';
import { freePort } from '../harness/ports.ts';
import { checkRedis, createTestDatabase, testRedisUrl } from '../harness/services.ts';
import {
  type Memory,
  type OpenHandles,
  readCpuSeconds,
  readMemory,
  readOpenHandles,
  type SocketPeers,
} from './proc.ts';
import { type BenchProcess, Cleanup, startProcess } from './processes.ts';
import { SEED_PRICE, type SeededCustomer, seed } from './seed.ts';

const root = resolve(import.meta.dirname, '../../../..');
const upstreamEntry = join(root, 'packages/testkit/src/fake-upstream/main.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SoakOptions {
  /** length of the load, seconds */
  seconds: number;
  /** requests per second (open loop) */
  rate: number;
  /** share of the requests that stream, 0–1 (default 0.9) */
  streamShare?: number;
  /** seconds per printed interval (default 10) */
  intervalSeconds?: number;
  /** production: fresh MariaDB database + Redis namespace (default); embedded: SQLite, no Redis */
  mode?: 'production' | 'embedded';
  /** content chunks per answer (default 20) */
  chunks?: number;
  /** fake upstream delay before each content chunk, ms (default 5: a stream stays open ~100 ms) */
  chunkDelayMs?: number;
  /** users, one key each; requests go round-robin (default 4) */
  customers?: number;
  /** after the load: how long to wait at most for idle connections to close (default 30 s) */
  settleSeconds?: number;
  /** fds a settled relay may hold beyond its start (pools grow; default 8) */
  fdSlack?: number;
  relayEntry?: string;
  relayLogLevel?: string;
  /** extra node flags for the relay (e.g. --cpu-prof) */
  relayNodeFlags?: string[];
  /** where lines go (default console.log) */
  print?: (line: string) => void;
  /** clean-ups are registered here (run by the caller); by default runSoak cleans up itself */
  cleanup?: Cleanup;
}

/** Gauges read from the relay's Prometheus /metrics (prom-client default metrics + its own). */
export interface RelayGauges {
  heapUsedBytes?: number;
  activeHandles?: number;
  /** largest event-loop delay since the previous scrape, ms */
  loopLagMaxMs?: number;
  activeStreams?: number;
}

/** The relay's resources at one moment. */
export interface ResourceSample {
  memory?: Memory;
  handles?: OpenHandles;
  gauges: RelayGauges;
}

export interface IntervalFigures extends ResourceSample {
  /** seconds since the load started, at the end of this interval */
  t: number;
  /** requests sent in this interval */
  sent: number;
  /** answers completed in this interval, good ones */
  ok: number;
  /** failed answers completed in this interval, by kind */
  errors: Record<string, number>;
  /** ms from the request's due time to the end of its answer */
  p50: number;
  p99: number;
  max: number;
  /** ms from the due time to the first body byte (streams: the first SSE event) */
  ttftP50: number;
  ttftP99: number;
  /** the load generator's largest delay from due time to sending, ms */
  sendLagMax: number;
  /** requests open at the end of the interval */
  inFlight: number;
  /** CPU used during the interval, % of one core: the relay, the fake upstream, this load generator */
  cpu: CpuShares;
  /** the machine's 1-minute load average at the end of the interval (other work on it shows here) */
  loadAverage: number;
}

export interface CpuShares {
  relay: number;
  upstream: number;
  loadGenerator: number;
}

export interface Drift {
  firstThird: number;
  lastThird: number;
}

export interface LeakCheck {
  ok: boolean;
  /** what failed, in words */
  problems: string[];
}

export interface AccountingCheck {
  ok: boolean;
  /** successful requests (probes included) */
  successes: number;
  /** usage log rows in SQL */
  rows: number;
  distinctRequestIds: number;
  /** successful requests with no log row / log rows of no successful request */
  missing: number;
  unexpected: number;
  expectedCost: number;
  loggedCost: number;
  /** per user: rows, log costs, balance change, used quotas, ledger — any mismatch in words */
  problems: string[];
}

export interface SoakResult {
  options: Required<Omit<SoakOptions, 'print' | 'cleanup' | 'relayLogLevel' | 'relayNodeFlags'>>;
  intervals: IntervalFigures[];
  totals: {
    /** requests of the load (probes not included) */
    sent: number;
    /** good answers of the load */
    ok: number;
    streams: number;
    errors: Record<string, number>;
    errorCount: number;
    p50: number;
    p99: number;
    ttftP99: number;
    peakInFlight: number;
  };
  /** after the probes, before the load (idle) */
  start: ResourceSample;
  /** as soon as every answer was in and the load generator's connections were closed */
  afterLoad: ResourceSample;
  /** after the settle period (idle again) */
  settled: ResourceSample;
  settleSeconds: number;
  drift: { rssMiB: Drift; heapMiB: Drift; fds: Drift; p99: Drift; ttftP99: Drift };
  /** CPU over the whole load, % of one core */
  cpu: CpuShares;
  /** least-squares slope of RSS over the last two thirds of the intervals, MiB per minute */
  rssSlopeMiBPerMin: number;
  leaks: LeakCheck;
  accounting: AccountingCheck;
}

// ---------------------------------------------------------------------------------------------------
// statistics

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

class Window {
  latency: number[] = [];
  ttft: number[] = [];
  errors: Record<string, number> = {};
  sent = 0;
  sendLagMax = 0;

  fail(kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  figures(): Pick<
    IntervalFigures,
    'sent' | 'ok' | 'errors' | 'p50' | 'p99' | 'max' | 'ttftP50' | 'ttftP99' | 'sendLagMax'
  > {
    const l = Float64Array.from(this.latency).sort();
    const t = Float64Array.from(this.ttft).sort();
    return {
      sent: this.sent,
      ok: l.length,
      errors: { ...this.errors },
      p50: percentile(l, 50),
      p99: percentile(l, 99),
      max: l.length ? l[l.length - 1]! : Number.NaN,
      ttftP50: percentile(t, 50),
      ttftP99: percentile(t, 99),
      sendLagMax: this.sendLagMax,
    };
  }
}

const mean = (xs: number[]) => {
  const v = xs.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
};

function drift(all: IntervalFigures[], pick: (i: IntervalFigures) => number | undefined): Drift {
  // the first interval is the warm-up (JIT, pools filling) unless it is all there is
  const intervals = all.length > 3 ? all.slice(1) : all;
  const k = Math.max(1, Math.floor(intervals.length / 3));
  const vals = intervals.map((i) => pick(i) ?? Number.NaN);
  return { firstThird: mean(vals.slice(0, k)), lastThird: mean(vals.slice(vals.length - k)) };
}

function slopePerMinute(points: { t: number; y: number }[]): number {
  const p = points.filter((q) => Number.isFinite(q.y));
  if (p.length < 2) return Number.NaN;
  const mt = mean(p.map((q) => q.t));
  const my = mean(p.map((q) => q.y));
  let sxy = 0;
  let sxx = 0;
  for (const q of p) {
    sxy += (q.t - mt) * (q.y - my);
    sxx += (q.t - mt) ** 2;
  }
  return sxx === 0 ? Number.NaN : (sxy / sxx) * 60;
}

// ---------------------------------------------------------------------------------------------------
// the relay's gauges

/** Scrapes /metrics on a connection of its own (closed after the answer: no socket stays behind). */
export function readGauges(relayUrl: string): Promise<RelayGauges> {
  return new Promise((resolveGauges) => {
    const req = get(`${relayUrl}/metrics`, { agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => {
        const value = (name: string) => {
          const m = new RegExp(`^\\w*${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm').exec(text);
          return m ? Number(m[1]) : undefined;
        };
        const lag = value('nodejs_eventloop_lag_max_seconds');
        resolveGauges({
          heapUsedBytes: value('nodejs_heap_size_used_bytes'),
          activeHandles: value('nodejs_active_handles_total'),
          loopLagMaxMs: lag === undefined ? undefined : lag * 1000,
          activeStreams: value('relay_active_streams'),
        });
      });
      res.on('error', () => resolveGauges({}));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveGauges({}));
  });
}

// ---------------------------------------------------------------------------------------------------
// the load

interface LoadCustomer extends SeededCustomer {
  ok: number;
  expectedCost: number;
}

const price = { ...SEED_PRICE, cachedInputPrice: null, perCallPrice: null };

/** Token counts from the last `"usage":{…}` object of an answer (JSON body or SSE tail). */
function usageOf(
  text: string,
): { promptTokens: number; completionTokens: number; cachedTokens: number } | undefined {
  const at = text.lastIndexOf('"usage":{');
  if (at < 0) return undefined;
  const u = text.slice(at);
  const prompt = /"prompt_tokens":(\d+)/.exec(u)?.[1];
  const completion = /"completion_tokens":(\d+)/.exec(u)?.[1];
  if (prompt === undefined || completion === undefined) return undefined;
  const cached = /"cached_tokens":(\d+)/.exec(u)?.[1] ?? '0';
  return { promptTokens: Number(prompt), completionTokens: Number(completion), cachedTokens: Number(cached) };
}

/**
 * Keep-alive connections to the relay. An idle one is closed after 3 s, before the relay's server does
 * (Node's default keepAliveTimeout, 5 s, announced as `Keep-Alive: timeout=5`): reusing a connection the
 * server is closing at that moment gives ECONNRESET, the keep-alive race every HTTP client avoids this
 * way (undici/fetch: the announced timeout minus 1 s).
 */
function newAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1024, timeout: 3000 });
}

/** Open-loop sender of chat completions to one relay, keeping per-interval and per-customer figures. */
class OpenLoop {
  readonly url: URL;
  agent = newAgent();
  inFlight = 0;
  peakInFlight = 0;
  window = new Window();
  sent = 0;
  /** requests sent by probe() (in `sent`, `ok` and the books; not in the load's figures) */
  probes = 0;
  ok = 0;
  /** streams of the load (probes not included) */
  streams = 0;
  errors: Record<string, number> = {};
  readonly latency: number[] = [];
  readonly ttft: number[] = [];
  /** x-request-id of every good answer */
  readonly requestIds = new Set<string>();
  #idle: (() => void) | undefined;
  #abandoned = false;
  readonly #bodies: { stream: Buffer; plain: Buffer };
  readonly customers: LoadCustomer[];
  readonly streamShare: number;

  constructor(relayUrl: string, customers: LoadCustomer[], streamShare: number) {
    this.customers = customers;
    this.streamShare = streamShare;
    this.url = new URL('/v1/chat/completions', relayUrl);
    const messages = [{ role: 'user', content: 'Say hello to the soak test.' }];
    this.#bodies = {
      stream: Buffer.from(
        JSON.stringify({
          model: 'gpt-4o-mini',
          messages,
          max_tokens: 64,
          stream: true,
          stream_options: { include_usage: true },
        }),
      ),
      plain: Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 64 })),
    };
  }

  /** Request i streams when it crosses a multiple of 1/share: an even spread, no randomness. */
  isStream(i: number): boolean {
    return Math.floor((i + 1) * this.streamShare) > Math.floor(i * this.streamShare);
  }

  #fail(kind: string): void {
    this.window.fail(kind);
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  /** Sends one request, due at `due` (performance.now() ms); `then` gets the failure kind or undefined. */
  send(stream: boolean, c: LoadCustomer, due: number, then?: (failure: string | undefined) => void): void {
    const body = stream ? this.#bodies.stream : this.#bodies.plain;
    this.sent++;
    this.window.sent++;
    this.inFlight++;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    const sentAt = performance.now();
    if (sentAt - due > this.window.sendLagMax) this.window.sendLagMax = sentAt - due;
    let first: number | undefined;
    let text = '';
    let finished = false;
    const done = (failure: string | undefined, requestId?: string) => {
      if (finished || this.#abandoned) return;
      finished = true;
      this.inFlight--;
      const now = performance.now();
      if (failure === undefined) {
        const usage = usageOf(text);
        if (!usage) failure = 'answer without usage';
        else if (!requestId) failure = 'answer without x-request-id';
        else {
          this.ok++;
          c.ok++;
          c.expectedCost += costOf(price, usage);
          this.requestIds.add(requestId);
          const latency = now - due;
          const ttft = (first ?? now) - due;
          this.window.latency.push(latency);
          this.window.ttft.push(ttft);
          this.latency.push(latency);
          this.ttft.push(ttft);
        }
      }
      if (failure !== undefined) this.#fail(failure);
      then?.(failure);
      if (this.inFlight === 0) this.#idle?.();
    };
    const req = request(
      this.url,
      {
        method: 'POST',
        agent: this.agent,
        headers: {
          authorization: `Bearer ${c.key}`,
          'content-type': 'application/json',
          'content-length': String(body.length),
        },
      },
      (res) => {
        const id = res.headers['x-request-id'];
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => {
          first ??= performance.now();
          // streams: only the tail matters (usage chunk, [DONE]); plain answers are small
          text = stream ? (text + chunk).slice(-4096) : text + chunk;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) {
            const code = /"code":"([^"]+)"/.exec(text)?.[1];
            done(`status ${res.statusCode}${code ? ` ${code}` : ''}`);
          } else if (stream && !text.includes('data: [DONE]'))
            done(text.includes('"error"') ? 'error event in stream' : 'stream without [DONE]');
          else done(undefined, typeof id === 'string' ? id : undefined);
        });
        res.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
        res.on('close', () => {
          if (!res.complete) done('answer cut off');
        });
      },
    );
    req.setTimeout(60_000, () => {
      done('60 s of silence');
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    req.end(body);
  }

  /** One stream and one plain request per customer, one at a time; throws on the first failure. */
  async probe(): Promise<void> {
    for (const c of this.customers) {
      for (const stream of [true, false]) {
        this.probes++;
        const failure = await new Promise<string | undefined>((r) =>
          this.send(stream, c, performance.now(), r),
        );
        if (failure) throw new Error(`the probe request (${stream ? 'stream' : 'plain'}) failed: ${failure}`);
      }
    }
  }

  /** Runs the open loop for `seconds`; `onInterval` gets each interval's window at its end. */
  run(
    seconds: number,
    rate: number,
    intervalSeconds: number,
    onInterval: (t: number, w: Window) => void,
  ): Promise<void> {
    const total = Math.round(seconds * rate);
    const start = performance.now();
    let i = 0;
    let nextInterval = intervalSeconds * 1000;
    this.window = new Window();
    return new Promise<void>((resolveRun) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - start;
        const due = Math.min(total, Math.floor((elapsed * rate) / 1000) + 1);
        while (i < due) {
          // round-robin, shifted by one every round: each key gets streams and plain requests alike
          const n = this.customers.length;
          const stream = this.isStream(i);
          if (stream) this.streams++;
          this.send(stream, this.customers[(i + Math.floor(i / n)) % n]!, start + (i * 1000) / rate);
          i++;
        }
        const end = elapsed >= seconds * 1000;
        if (elapsed >= nextInterval || end) {
          const w = this.window;
          this.window = new Window();
          onInterval(Math.round(Math.min(nextInterval, elapsed) / 1000), w);
          nextInterval += intervalSeconds * 1000;
        }
        if (end) {
          clearInterval(timer);
          resolveRun();
        }
      }, 1);
    });
  }

  /** Waits for the open requests (at most `timeoutMs`); the ones still open count as failed. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((r) => {
          this.#idle = r;
        }),
        sleep(timeoutMs),
      ]);
    }
    this.#idle = undefined;
  }

  /** Counts the requests still open as failed (`kind`); their answers, if any come, are ignored. */
  abandonOpenRequests(kind: string): void {
    if (this.inFlight > 0) this.errors[kind] = (this.errors[kind] ?? 0) + this.inFlight;
    this.#abandoned = true;
  }

  /** Closes every connection of the load generator (the next request opens new ones). */
  closeConnections(): void {
    this.agent.destroy();
    this.agent = newAgent();
  }
}

// ---------------------------------------------------------------------------------------------------
// the processes

interface Environment {
  upstream: BenchProcess;
  relay: BenchProcess;
  customers: SeededCustomer[];
  db: { sql_dsn?: string; data_dir: string };
  peers: SocketPeers;
  description: string;
}

async function startEnvironment(
  o: Required<Pick<SoakOptions, 'mode' | 'chunks' | 'chunkDelayMs' | 'customers' | 'relayEntry'>> &
    Pick<SoakOptions, 'relayLogLevel' | 'relayNodeFlags'>,
  cleanup: Cleanup,
): Promise<Environment> {
  const work = mkdtempSync(join(tmpdir(), 'tollgate-soak-'));
  cleanup.add(() => rmSync(work, { recursive: true, force: true }));
  const upstreamPort = await freePort();
  const upstream = await startProcess({
    name: 'fake upstream',
    args: [
      upstreamEntry,
      '--port',
      String(upstreamPort),
      '--chunks',
      String(o.chunks),
      '--chunk-delay-ms',
      String(o.chunkDelayMs),
      '--max-log-entries',
      '0',
    ],
    url: `http://127.0.0.1:${upstreamPort}`,
    readyPath: '/healthz',
    cwd: root,
    logFile: join(work, 'upstream.log'),
  });
  cleanup.add(() => upstream.stop());

  const dataDir = join(work, 'data');
  const runDir = join(work, 'run');
  mkdirSync(runDir);
  const env: Record<string, string> = { TOLLGATE_DATA_DIR: dataDir };
  let production: Parameters<typeof seed>[0]['production'];
  let description = 'embedded SQLite in a temp data dir, no Redis';
  const peers: SocketPeers = { relayPort: await freePort(), upstreamPort };
  if (o.mode === 'production') {
    await checkRedis();
    const database = await createTestDatabase();
    cleanup.add(() => database.drop());
    const redisPrefix = `${database.name}:`;
    cleanup.add(() => removeRedisKeys(testRedisUrl, redisPrefix));
    production = {
      sqlDsn: database.dsn,
      redisUrl: testRedisUrl,
      redisPrefix,
      userTokenSecret: randomBytes(32).toString('base64url'),
      sessionSecret: randomBytes(32).toString('base64url'),
    };
    Object.assign(env, {
      TOLLGATE_SQL_DSN: production.sqlDsn,
      TOLLGATE_REDIS_CONN_STRING: production.redisUrl,
      TOLLGATE_REDIS_PREFIX: production.redisPrefix,
      TOLLGATE_USER_TOKEN_SECRET: production.userTokenSecret,
      TOLLGATE_SESSION_SECRET: production.sessionSecret,
    });
    peers.mysqlPort = Number(new URL(database.dsn).port || 3306);
    peers.redisPort = Number(new URL(testRedisUrl).port || 6379);
    description = `production mode: MariaDB database ${database.name}, Redis prefix ${redisPrefix}`;
  }
  const seeded = await seed({
    dataDir,
    upstreamUrl: upstream.url,
    customers: o.customers,
    production,
  });
  const relay = await startProcess({
    name: 'relay',
    args: [...(o.relayNodeFlags ?? []), o.relayEntry],
    url: `http://127.0.0.1:${peers.relayPort}`,
    readyPath: '/readyz',
    env: {
      ...env,
      TOLLGATE_RELAY_PORT: String(peers.relayPort),
      TOLLGATE_HOST: '127.0.0.1',
      ...(o.relayLogLevel ? { TOLLGATE_LOG_LEVEL: o.relayLogLevel } : {}),
    },
    // an empty directory: no config.yaml from the workspace is picked up
    cwd: runDir,
    logFile: join(work, 'relay.log'),
  });
  cleanup.add(() => relay.stop());
  return {
    upstream,
    relay,
    customers: seeded.customers,
    db: { sql_dsn: production?.sqlDsn, data_dir: dataDir },
    peers,
    description,
  };
}

/** Deletes every key under `prefix` on the shared Redis (balances, streams, holds of the run). */
async function removeRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------
// checks

async function sample(env: Environment): Promise<ResourceSample> {
  const memory = readMemory(env.relay.pid);
  const handles = readOpenHandles(env.relay.pid, env.peers);
  return { memory, handles, gauges: await readGauges(env.relay.url) };
}

/**
 * Leak check of a settled relay against its idle start: accepted client connections gone; fds other
 * than the upstream keep-alive pool at most `slack` above the start (the database pool may grow to its
 * size); the upstream pool no larger than the most requests ever open at once (+ slack) — a pool is
 * bounded by concurrency, a leak grows with the number of requests.
 */
export function checkLeaks(
  start: OpenHandles | undefined,
  end: OpenHandles | undefined,
  peakInFlight: number,
  slack: number,
): LeakCheck {
  if (!start || !end) return { ok: false, problems: ['the relay process is gone'] };
  const problems: string[] = [];
  if (end.clients > 2) problems.push(`${end.clients} client connections still open on the relay`);
  const fixed = (h: OpenHandles) => h.fds - h.upstream - h.clients;
  if (fixed(end) > fixed(start) + slack)
    problems.push(
      `fds other than sockets to clients and the upstream: ${fixed(start)} at the start, ${fixed(end)} now ` +
        `(more than +${slack})`,
    );
  if (end.upstream > peakInFlight + slack)
    problems.push(
      `${end.upstream} upstream connections, more than the ${peakInFlight} requests ever open at once (+${slack})`,
    );
  return { ok: problems.length === 0, problems };
}

async function checkAccounting(env: Environment, loop: OpenLoop): Promise<AccountingCheck> {
  const handle = createDb(env.db);
  try {
    const count = async () =>
      num(
        (
          await handle.db
            .selectFrom('logs')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('kind', '=', 'usage')
            .executeTakeFirstOrThrow()
        ).n,
      );
    // settlements reach SQL within a flush interval or two; then one more look for late extras
    const deadline = Date.now() + 60_000;
    while ((await count()) < loop.ok && Date.now() < deadline) await sleep(250);
    await sleep(2500);
    const logged = await handle.db
      .selectFrom('logs')
      .select(['requestId'])
      .where('kind', '=', 'usage')
      .execute();
    const ids = new Set(logged.map((r) => r.requestId));
    let missing = 0;
    for (const id of loop.requestIds) if (!ids.has(id)) missing++;
    let unexpected = 0;
    for (const id of ids) if (!loop.requestIds.has(id)) unexpected++;
    const problems: string[] = [];
    let loggedCost = 0;
    let expectedCost = 0;
    for (const c of loop.customers) {
      const b = await booksOf(handle, c.userId, c.tokenId);
      loggedCost += b.logCost;
      expectedCost += c.expectedCost;
      const facts: [string, number, number][] = [
        ['usage log rows', b.rows, c.ok],
        ['Σ log costs', b.logCost, c.expectedCost],
        ['balance change', c.balance - b.balance, c.expectedCost],
        ['user used quota', b.userUsed, c.expectedCost],
        ['key used quota', b.tokenUsed, c.expectedCost],
        ['ledger sum', b.ledger, b.balance],
      ];
      for (const [what, got, want] of facts)
        if (got !== want) problems.push(`user ${c.userId}: ${what} ${got}, expected ${want}`);
    }
    if (logged.length !== ids.size)
      problems.push(`${logged.length - ids.size} request ids logged more than once`);
    if (missing) problems.push(`${missing} successful requests have no usage log row`);
    if (unexpected) problems.push(`${unexpected} usage log rows match no successful request`);
    return {
      ok: problems.length === 0,
      successes: loop.ok,
      rows: logged.length,
      distinctRequestIds: ids.size,
      missing,
      unexpected,
      expectedCost,
      loggedCost,
      problems,
    };
  } finally {
    await handle.close();
  }
}

/** CPU seconds of the three processes at one moment, and the difference to another as shares. */
function cpuMeter(env: Environment) {
  const read = () => ({
    at: performance.now(),
    relay: readCpuSeconds(env.relay.pid) ?? Number.NaN,
    upstream: readCpuSeconds(env.upstream.pid) ?? Number.NaN,
    self: (() => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    })(),
  });
  const since = (a: ReturnType<typeof read>, b: ReturnType<typeof read>): CpuShares => {
    const wall = (b.at - a.at) / 1000;
    const pct = (x: number, y: number) => ((y - x) / wall) * 100;
    return {
      relay: pct(a.relay, b.relay),
      upstream: pct(a.upstream, b.upstream),
      loadGenerator: pct(a.self, b.self),
    };
  };
  return { read, since };
}

// ---------------------------------------------------------------------------------------------------
// printing

const fmt = (n: number | undefined, digits = 0) =>
  n !== undefined && Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const mib = (kib: number | undefined) => (kib === undefined ? undefined : kib / 1024);
const errorsText = (e: Record<string, number>) => {
  const parts = Object.entries(e).map(([k, n]) => `${k} × ${n}`);
  return parts.length ? parts.join(', ') : '0';
};
const socketsText = (h: OpenHandles | undefined) =>
  h ? `${h.clients}/${h.upstream}/${h.mysql}/${h.redis}/${h.listening + h.otherSockets}` : '–';

const HEAD = [
  't s',
  'sent',
  'ok',
  'errors',
  'p50 ms',
  'p99 ms',
  'max ms',
  'TTFT p50',
  'TTFT p99',
  'lag ms',
  'open',
  'RSS MiB',
  'heap MiB',
  'fds',
  'sockets c/u/db/r/o',
  'handles',
  'loop ms',
  'CPU % r/u/g',
  'load',
];

function row(f: IntervalFigures): string[] {
  return [
    String(f.t),
    fmt(f.sent),
    fmt(f.ok),
    errorsText(f.errors),
    fmt(f.p50, 1),
    fmt(f.p99, 1),
    fmt(f.max, 0),
    fmt(f.ttftP50, 1),
    fmt(f.ttftP99, 1),
    fmt(f.sendLagMax, 0),
    fmt(f.inFlight),
    fmt(mib(f.memory?.rss), 0),
    fmt(f.gauges.heapUsedBytes === undefined ? undefined : f.gauges.heapUsedBytes / 2 ** 20, 0),
    fmt(f.handles?.fds),
    socketsText(f.handles),
    fmt(f.gauges.activeHandles),
    fmt(f.gauges.loopLagMaxMs, 0),
    `${fmt(f.cpu.relay)}/${fmt(f.cpu.upstream)}/${fmt(f.cpu.loadGenerator)}`,
    fmt(f.loadAverage, 1),
  ];
}

const line = (cells: string[]) => `| ${cells.join(' | ')} |`;

function resourcesText(s: ResourceSample): string {
  const h = s.handles;
  return (
    `RSS ${fmt(mib(s.memory?.rss), 0)} MiB, heap ${fmt((s.gauges.heapUsedBytes ?? Number.NaN) / 2 ** 20, 0)} MiB, ` +
    `${fmt(h?.fds)} fds (sockets: ${h?.clients ?? '–'} clients, ${h?.upstream ?? '–'} upstream, ${h?.mysql ?? '–'} MySQL, ` +
    `${h?.redis ?? '–'} Redis, ${h ? h.listening + h.otherSockets : '–'} other), ${fmt(s.gauges.activeHandles)} active handles`
  );
}

function driftText(name: string, d: Drift, unit: string, digits = 0): string {
  const pct = ((d.lastThird - d.firstThird) / d.firstThird) * 100;
  return (
    `${name}: ${fmt(d.firstThird, digits)} → ${fmt(d.lastThird, digits)} ${unit}` +
    (Number.isFinite(pct) ? ` (${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)} %)` : '')
  );
}

/** The summary lines printed after the table. */
export function summaryLines(r: SoakResult): string[] {
  const t = r.totals;
  const a = r.accounting;
  const seconds = r.options.seconds;
  return [
    '',
    `Requests: ${fmt(t.sent)} sent in ${seconds} s (${fmt(t.sent / seconds, 1)}/s; ${fmt(t.streams)} streams), ` +
      `${fmt(t.ok)} good, ${fmt(t.errorCount)} failed${t.errorCount ? ` (${errorsText(t.errors)})` : ''}; ` +
      `whole run p50 ${fmt(t.p50, 1)} ms, p99 ${fmt(t.p99, 1)} ms, TTFT p99 ${fmt(t.ttftP99, 1)} ms; ` +
      `at most ${fmt(t.peakInFlight)} requests open at once.`,
    `CPU over the load, % of one core (the machine has ${availableParallelism()}): relay ${fmt(r.cpu.relay)} %, ` +
      `fake upstream ${fmt(r.cpu.upstream)} %, load generator ${fmt(r.cpu.loadGenerator)} %; ` +
      `mean 1-min load average ${fmt(mean(r.intervals.map((i) => i.loadAverage)), 1)}.`,
    `Drift, mean of the first third of the intervals (the first one, warm-up, left out) → mean of the last third:`,
    `  ${driftText('RSS', r.drift.rssMiB, 'MiB')}; slope over the last two thirds ${r.rssSlopeMiBPerMin >= 0 ? '+' : '−'}${Math.abs(r.rssSlopeMiBPerMin).toFixed(2)} MiB/min`,
    `  ${driftText('heap used', r.drift.heapMiB, 'MiB')}`,
    `  ${driftText('open fds', r.drift.fds, '', 1)}`,
    `  ${driftText('p99', r.drift.p99, 'ms', 1)}; ${driftText('TTFT p99', r.drift.ttftP99, 'ms', 1)}`,
    'Relay:',
    `  at the start (idle, after the probes): ${resourcesText(r.start)}`,
    `  when the load ended:                   ${resourcesText(r.afterLoad)}`,
    `  ${`after ${r.settleSeconds} s idle:`.padEnd(38)} ${resourcesText(r.settled)}`,
    `Leak check: ${r.leaks.ok ? 'passed' : `FAILED — ${r.leaks.problems.join('; ')}`}`,
    `Accounting: ${fmt(a.successes)} good answers (probes included), ${fmt(a.rows)} usage log rows, ` +
      `${fmt(a.distinctRequestIds)} distinct request ids, ${fmt(a.missing)} missing, ${fmt(a.unexpected)} unexpected; ` +
      `Σ cost ${fmt(a.loggedCost)} logged vs ${fmt(a.expectedCost)} expected from the usage in the answers — ` +
      `${a.ok ? 'exact' : `MISMATCH: ${a.problems.slice(0, 10).join('; ')}`}`,
  ];
}

// ---------------------------------------------------------------------------------------------------

/** Runs the soak and prints as it goes; the result carries every figure for a caller's checks. */
export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const o = {
    seconds: opts.seconds,
    rate: opts.rate,
    streamShare: opts.streamShare ?? 0.9,
    intervalSeconds: opts.intervalSeconds ?? 10,
    mode: opts.mode ?? 'production',
    chunks: opts.chunks ?? 20,
    chunkDelayMs: opts.chunkDelayMs ?? 5,
    customers: opts.customers ?? 4,
    settleSeconds: opts.settleSeconds ?? 30,
    fdSlack: opts.fdSlack ?? 8,
    relayEntry: resolve(root, opts.relayEntry ?? 'packages/relay/src/main.ts'),
  };
  if (!(o.seconds > 0 && o.rate > 0 && o.intervalSeconds > 0))
    throw new RangeError('seconds, rate and intervalSeconds must be positive');
  if (!(o.streamShare >= 0 && o.streamShare <= 1)) throw new RangeError('streamShare must be within 0–1');
  const print = opts.print ?? ((s: string) => console.log(s));
  const cleanup = opts.cleanup ?? new Cleanup();
  try {
    const env = await startEnvironment(
      { ...o, relayLogLevel: opts.relayLogLevel, relayNodeFlags: opts.relayNodeFlags },
      cleanup,
    );
    const customers: LoadCustomer[] = env.customers.map((c) => ({ ...c, ok: 0, expectedCost: 0 }));
    const loop = new OpenLoop(env.relay.url, customers, o.streamShare);
    cleanup.add(() => loop.agent.destroy());
    await loop.probe();
    loop.closeConnections();
    // idle start: the probes' connections closed (the relay sees the FIN at once)
    for (let i = 0; i < 50 && (readOpenHandles(env.relay.pid, env.peers)?.clients ?? 0) > 0; i++)
      await sleep(100);
    const start = await sample(env);

    print(
      `\n## Soak: ${o.rate} req/s for ${o.seconds} s, ${Math.round(o.streamShare * 100)} % streams ` +
        `(${o.chunks} chunks, ${o.chunkDelayMs} ms apart), ${o.customers} keys, one relay, ${env.description}`,
    );
    print(
      'Latency and TTFT from each request\'s due time (open loop); "lag": the load generator\'s largest delay ' +
        'in sending; "open": requests in flight; sockets: clients/upstream/MySQL/Redis/other; "handles": ' +
        'the relay\'s active libuv handles; "loop": its largest event-loop delay; CPU: % of one core used by ' +
        'the relay, the fake upstream and the load generator; "load": the machine\'s 1-minute load average.',
    );
    print(line(HEAD));
    print(`|${HEAD.map(() => '---').join('|')}|`);
    const intervals: IntervalFigures[] = [];
    let printed = Promise.resolve();
    const cpu = cpuMeter(env);
    const cpuAtStart = cpu.read();
    let cpuBefore = cpuAtStart;
    await loop.run(o.seconds, o.rate, o.intervalSeconds, (t, w) => {
      const cpuNow = cpu.read();
      const cpuShares = cpu.since(cpuBefore, cpuNow);
      cpuBefore = cpuNow;
      const loadAverage = loadavg()[0]!;
      const memory = readMemory(env.relay.pid);
      const handles = readOpenHandles(env.relay.pid, env.peers);
      const inFlight = loop.inFlight;
      const figures = w.figures();
      // rows print in order, each once its scrape of /metrics is in
      printed = printed.then(async () => {
        const f: IntervalFigures = {
          t,
          ...figures,
          inFlight,
          cpu: cpuShares,
          loadAverage,
          memory,
          handles,
          gauges: await readGauges(env.relay.url),
        };
        intervals.push(f);
        print(line(row(f)));
      });
    });
    const cpuWholeLoad = cpu.since(cpuAtStart, cpu.read());
    await printed;
    await loop.drain(60_000);
    loop.abandonOpenRequests('no answer within 60 s of the end');
    loop.closeConnections();
    const afterLoad = await sample(env);
    // settle: idle connections close (ours at once; the relay's to the upstream stay pooled)
    const settleStart = Date.now();
    await sleep(Math.min(2, o.settleSeconds) * 1000);
    let settled = await sample(env);
    let leaks = checkLeaks(start.handles, settled.handles, loop.peakInFlight, o.fdSlack);
    while (!leaks.ok && Date.now() - settleStart < o.settleSeconds * 1000) {
      await sleep(1000);
      settled = await sample(env);
      leaks = checkLeaks(start.handles, settled.handles, loop.peakInFlight, o.fdSlack);
    }
    const settleSeconds = Math.round((Date.now() - settleStart) / 1000);
    const accounting = await checkAccounting(env, loop);

    const all = Float64Array.from(loop.latency).sort();
    const ttft = Float64Array.from(loop.ttft).sort();
    const k = Math.floor(intervals.length / 3);
    const result: SoakResult = {
      options: o,
      intervals,
      totals: {
        sent: loop.sent - loop.probes,
        ok: loop.ok - loop.probes,
        streams: loop.streams,
        errors: { ...loop.errors },
        errorCount: Object.values(loop.errors).reduce((a, b) => a + b, 0),
        p50: percentile(all, 50),
        p99: percentile(all, 99),
        ttftP99: percentile(ttft, 99),
        peakInFlight: loop.peakInFlight,
      },
      start,
      afterLoad,
      settled,
      settleSeconds,
      drift: {
        rssMiB: drift(intervals, (i) => mib(i.memory?.rss)),
        heapMiB: drift(intervals, (i) =>
          i.gauges.heapUsedBytes === undefined ? undefined : i.gauges.heapUsedBytes / 2 ** 20,
        ),
        fds: drift(intervals, (i) => i.handles?.fds),
        p99: drift(intervals, (i) => i.p99),
        ttftP99: drift(intervals, (i) => i.ttftP99),
      },
      cpu: cpuWholeLoad,
      rssSlopeMiBPerMin: slopePerMinute(
        intervals.slice(k).map((i) => ({ t: i.t, y: mib(i.memory?.rss) ?? Number.NaN })),
      ),
      leaks,
      accounting,
    };
    for (const l of summaryLines(result)) print(l);
    return result;
  } finally {
    if (!opts.cleanup) await cleanup.run();
  }
}
