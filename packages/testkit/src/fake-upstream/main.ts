/**
 * CLI: node packages/testkit/src/fake-upstream/main.ts --port 4000 [--host 127.0.0.1] [--chunks N]
 *   [--chunk-delay-ms N] [--latency-ms N] [--tokens-per-chunk N] [--api-key KEY] [--max-log-entries N]
 * Prints `fake-upstream listening on http://HOST:PORT` and stops on SIGTERM / SIGINT.
 */
import { parseArgs } from 'node:util';
import { startFakeUpstream } from './server.ts';
import type { Behaviour } from './types.ts';

function count(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`fake-upstream: --${name} must be a non-negative integer\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4000' },
    host: { type: 'string', default: '127.0.0.1' },
    chunks: { type: 'string' },
    'chunk-delay-ms': { type: 'string' },
    'latency-ms': { type: 'string' },
    'tokens-per-chunk': { type: 'string' },
    'api-key': { type: 'string' },
    'max-log-entries': { type: 'string' },
  },
  strict: true,
});

const defaults: Partial<Behaviour> = {};
const chunks = count('chunks', values.chunks);
if (chunks !== undefined) defaults.chunks = chunks;
const chunkDelayMs = count('chunk-delay-ms', values['chunk-delay-ms']);
if (chunkDelayMs !== undefined) defaults.chunkDelayMs = chunkDelayMs;
const latencyMs = count('latency-ms', values['latency-ms']);
if (latencyMs !== undefined) defaults.latencyMs = latencyMs;
const tokensPerChunk = count('tokens-per-chunk', values['tokens-per-chunk']);
if (tokensPerChunk !== undefined) defaults.tokensPerChunk = tokensPerChunk;

const upstream = await startFakeUpstream({
  port: count('port', values.port) ?? 4000,
  host: values.host,
  defaults,
  ...(values['api-key'] === undefined ? {} : { apiKey: values['api-key'] }),
  // A long-running process keeps only a small log (totals stay exact).
  maxLogEntries: count('max-log-entries', values['max-log-entries']) ?? 1000,
});
process.stdout.write(`fake-upstream listening on ${upstream.url}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  upstream.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
