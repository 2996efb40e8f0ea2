import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

/** One kind of request the benchmark sends. */
export interface Workload {
  /** `/v1/chat/completions` */
  path: string;
  body: string;
  headers: Record<string, string>;
  /** an SSE stream: a complete answer ends with `data: [DONE]` */
  stream: boolean;
}

/** Sends one request and throws with the answer unless it is a complete 200 (checked before measuring). */
export async function probe(baseUrl: string, w: Workload, label: string): Promise<void> {
  const res = await fetch(`${baseUrl}${w.path}`, { method: 'POST', headers: w.headers, body: w.body });
  const text = await res.text();
  if (res.status !== 200 || (w.stream && !text.includes('data: [DONE]')))
    throw new Error(`${label} answered ${res.status}: ${text.slice(0, 500)}`);
}

export interface ThroughputResult {
  rps: number;
  /** ms (autocannon records whole milliseconds) */
  p50: number;
  p99: number;
  total: number;
  /** non-2xx answers + connection errors and timeouts */
  failed: number;
}

/** Closed loop: `connections` clients each send the next request as soon as the answer is complete. */
export async function throughput(
  baseUrl: string,
  w: Workload,
  o: { connections: number; seconds: number },
): Promise<ThroughputResult> {
  const r = await autocannon({
    url: `${baseUrl}${w.path}`,
    method: 'POST',
    headers: w.headers,
    body: w.body,
    connections: o.connections,
    duration: o.seconds,
  });
  return {
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    failed: r.non2xx + r.errors + r.timeouts,
  };
}

/** Latency figures of a window of requests, in ms. */
export interface LatencyStats {
  count: number;
  failed: number;
  /** why answers failed: `status 502`, `no [DONE]`, `ECONNRESET`, … → how many */
  failures: Record<string, number>;
  max: number;
  p50: number;
  p99: number;
  /** time to the first body byte (streams: the first SSE event) */
  ttfbP50: number;
  ttfbP99: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

class Samples {
  latency: number[] = [];
  ttfb: number[] = [];
  failed = 0;
  failures: Record<string, number> = {};

  fail(reason: string): void {
    this.failed++;
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
  }

  stats(): LatencyStats {
    const l = Float64Array.from(this.latency).sort();
    const t = Float64Array.from(this.ttfb).sort();
    return {
      count: this.latency.length,
      failed: this.failed,
      failures: { ...this.failures },
      max: l.length ? l[l.length - 1]! : Number.NaN,
      p50: percentile(l, 50),
      p99: percentile(l, 99),
      ttfbP50: percentile(t, 50),
      ttfbP99: percentile(t, 99),
    };
  }
}

export interface FixedRateOptions {
  rate: number;
  seconds: number;
  /** called every `windowSeconds` with that window's figures (soak) */
  windowSeconds?: number;
  onWindow?: (elapsedSeconds: number, window: LatencyStats) => void;
}

/**
 * Open loop at a fixed rate over keep-alive node:http connections: each request's latency and time to
 * first body byte are taken from the moment it is handed to the client, at sub-millisecond resolution.
 * An answer counts as failed unless it is a 200 (and, for streams, ends with `data: [DONE]`).
 */
export async function fixedRate(baseUrl: string, w: Workload, o: FixedRateOptions): Promise<LatencyStats> {
  const url = new URL(w.path, baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const all = new Samples();
  let window = new Samples();
  const body = Buffer.from(w.body);
  const headers = { ...w.headers, 'content-length': String(body.length) };
  let inFlight = 0;
  let settled: (() => void) | undefined;

  const send = () => {
    inFlight++;
    const started = performance.now();
    let firstByte: number | undefined;
    let tail = '';
    let finished = false;
    const done = (failure: string | undefined) => {
      if (finished) return;
      finished = true;
      const now = performance.now();
      for (const s of [all, window]) {
        if (failure !== undefined || firstByte === undefined) {
          s.fail(failure ?? 'empty body');
          continue;
        }
        s.latency.push(now - started);
        s.ttfb.push(firstByte - started);
      }
      inFlight--;
      if (inFlight === 0) settled?.();
    };
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      res.on('data', (chunk: Buffer) => {
        firstByte ??= performance.now();
        if (w.stream) tail = (tail + chunk.toString('latin1')).slice(-32);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) done(`status ${res.statusCode}`);
        else done(w.stream && !tail.includes('data: [DONE]') ? 'stream without [DONE]' : undefined);
      });
      res.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    });
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    req.end(body);
  };

  const start = performance.now();
  let sent = 0;
  let nextWindow = (o.windowSeconds ?? Number.POSITIVE_INFINITY) * 1000;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      if (elapsed >= nextWindow) {
        o.onWindow?.(Math.round(nextWindow / 1000), window.stats());
        window = new Samples();
        nextWindow += (o.windowSeconds ?? 0) * 1000;
      }
      if (elapsed >= o.seconds * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor((elapsed * o.rate) / 1000);
      while (sent < due) {
        sent++;
        send();
      }
    }, 1);
  });
  if (inFlight > 0) {
    await Promise.race([
      new Promise<void>((resolve) => {
        settled = resolve;
      }),
      new Promise((resolve) => setTimeout(resolve, 15_000).unref()),
    ]);
  }
  agent.destroy();
  // answers that never finished
  for (let i = 0; i < inFlight; i++) all.fail('no answer within 15 s');
  return all.stats();
}
