import type { RelayEvent } from '@tollgate/shared/events.ts';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Cooldowns } from '../proxy/cooldown.ts';
import type { FinishedRequest, RelayObserver } from '../routes/relay-endpoint.ts';
import type { SnapshotStore } from '../snapshot/store.ts';
import { createModelLabeler, OTHER_MODEL } from './model-label.ts';

/** Prefix of every relay metric, Node process metrics included. */
export const METRIC_PREFIX = 'tollgate_relay_';

/** Whole LLM calls: a fast embedding to a long reasoning answer (seconds). */
const llmBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];
/** The relay's own work before the upstream call (seconds). */
const overheadBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05];

export interface RelayMetricsOptions {
  /** read at scrape time for the snapshot gauges */
  store: SnapshotStore;
  /** the cooldowns the app uses, read at scrape time */
  cooldowns: Cooldowns;
  /** the balance store, read at scrape time for the settlement backlog gauges */
  balances?: { backlog(): number; fallbackActive?(): boolean };
  /** Node process metrics (CPU, memory, event loop, GC); default true */
  processMetrics?: boolean;
}

/**
 * The relay's Prometheus metrics on a registry of their own (never prom-client's global one, so tests
 * and several apps in one process do not collide). Its methods are the hooks the app calls.
 */
export interface RelayMetrics extends RelayObserver {
  readonly registry: Registry;
  /** `onFinished`: a request that reached the upstream phase */
  finished(r: FinishedRequest): void;
  /** any other `/v1` request (refused, or answered by the relay itself); `endpoint` below /v1 */
  answered(endpoint: string, status: number, code: string): void;
  /** `reportEvent`: counts upstream failures */
  event(e: RelayEvent): void;
}

/** Creates the relay metrics (`tollgate_relay_*`); see RelayMetrics for where each is fed. */
export function createRelayMetrics(o: RelayMetricsOptions): RelayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const p = METRIC_PREFIX;
  const modelLabel = createModelLabeler(o.store);

  const requests = new Counter({
    name: `${p}requests_total`,
    help: 'Relay requests by endpoint, model (routed models only, else "other"), channel, HTTP status and error code ("ok").',
    labelNames: ['endpoint', 'model', 'channel', 'status', 'code'] as const,
    registers,
  });
  const latency = new Histogram({
    name: `${p}upstream_latency_seconds`,
    help: 'Whole latency of requests that reached the upstream phase, retries and streaming included.',
    labelNames: ['endpoint', 'channel'] as const,
    buckets: llmBuckets,
    registers,
  });
  const ttft = new Histogram({
    name: `${p}ttft_seconds`,
    help: 'Time to the first byte to the client (streams) or to the whole answer (non-stream).',
    labelNames: ['endpoint', 'channel'] as const,
    buckets: llmBuckets,
    registers,
  });
  const overhead = new Histogram({
    name: `${p}overhead_seconds`,
    help: 'Time the relay spends before its first upstream call (auth, limits, body, routing).',
    buckets: overheadBuckets,
    registers,
  });
  const activeStreams = new Gauge({
    name: `${p}active_streams`,
    help: 'SSE responses being streamed to clients now.',
    registers,
  });
  const retries = new Counter({
    name: `${p}retries_total`,
    help: 'Upstream attempts beyond the first of a request.',
    labelNames: ['endpoint'] as const,
    registers,
  });
  const failures = new Counter({
    name: `${p}upstream_failures_total`,
    help: 'Failed upstream attempts by channel and reason (connect, timeout, reset, malformed, http_<status>).',
    labelNames: ['channel', 'reason'] as const,
    registers,
  });
  new Gauge({
    name: `${p}snapshot_version`,
    help: 'Version of the configuration snapshot in use (0 before the first load).',
    registers,
    collect() {
      this.set(o.store.current()?.version ?? 0);
    },
  });
  new Gauge({
    name: `${p}snapshot_age_seconds`,
    help: 'Seconds since the snapshot in use was loaded (0 before the first load).',
    registers,
    collect() {
      const snap = o.store.current();
      this.set(snap ? Math.max(0, (Date.now() - snap.loadedAt) / 1000) : 0);
    },
  });
  new Gauge({
    name: `${p}cooldowns_active`,
    help: '(channel, model) pairs cooling down after a failure.',
    registers,
    collect() {
      this.set(o.cooldowns.active());
    },
  });
  const balances = o.balances;
  if (balances) {
    new Gauge({
      name: `${p}settlement_backlog`,
      help: "Settlements not yet written to the database: the shared Redis stream (sampled each second) plus this relay's in-process queue. Grows while the database is down; at settlement_backlog_max new requests are refused with 503.",
      registers,
      collect() {
        this.set(balances.backlog());
      },
    });
    new Gauge({
      name: `${p}balance_fallback`,
      help: '1 while Redis does not answer and this relay checks balances in process (SQL-backed), else 0.',
      registers,
      collect() {
        this.set(balances.fallbackActive?.() ? 1 : 0);
      },
    });
  }
  if (o.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: p });

  return {
    registry,
    finished(r) {
      const channel = r.channelId === undefined ? 'none' : String(r.channelId);
      requests.labels(r.endpoint, modelLabel(r.model), channel, String(r.status), r.errorCode ?? 'ok').inc();
      latency.labels(r.endpoint, channel).observe(r.latencyMs / 1000);
      if (r.ttftMs !== undefined) ttft.labels(r.endpoint, channel).observe(r.ttftMs / 1000);
    },
    answered(endpoint, status, code) {
      requests.labels(endpoint, OTHER_MODEL, 'none', String(status), code).inc();
    },
    event(e) {
      if (e.kind !== 'channel_failure') return;
      const reason = e.reason === 'status' && e.status !== undefined ? `http_${e.status}` : e.reason;
      failures.labels(String(e.channelId), reason).inc();
    },
    upstreamCall(endpoint, attempt, elapsedMs) {
      if (attempt === 0) overhead.observe(elapsedMs / 1000);
      else retries.labels(endpoint).inc();
    },
    streamOpened() {
      activeStreams.inc();
    },
    streamClosed() {
      activeStreams.dec();
    },
  };
}

/** Calls `first`, then `then` when given: how the app feeds one hook to metrics and to its owner. */
export function alsoTo<T>(first: (v: T) => void, then: ((v: T) => void) | undefined): (v: T) => void {
  return then
    ? (v) => {
        first(v);
        then(v);
      }
    : first;
}
