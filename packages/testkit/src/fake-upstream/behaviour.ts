import type { Behaviour, Fault, FaultKind, QueuedFault } from './types.ts';

/** Built-in defaults: instant answers of 10 one-token chunks. */
export const DEFAULT_BEHAVIOUR: Readonly<Behaviour> = Object.freeze({
  latencyMs: 0,
  chunkDelayMs: 0,
  chunks: 10,
  tokensPerChunk: 1,
  promptTokens: undefined,
  cachedTokens: undefined,
  includeUsageAlways: false,
  omitUsage: false,
  resetAfterChunks: 3,
  embeddingDimensions: 16,
  fault: undefined,
});

const FAULT_KINDS: ReadonlySet<string> = new Set<FaultKind>([
  'none',
  'refuse',
  'reset',
  'reset-mid-stream',
  'error-mid-stream',
  'hang',
  'malformed-json',
  'garbage-sse',
]);

const COUNT_KEYS = [
  'latencyMs',
  'chunkDelayMs',
  'chunks',
  'tokensPerChunk',
  'resetAfterChunks',
  'embeddingDimensions',
] as const;
const OPTIONAL_COUNT_KEYS = ['promptTokens', 'cachedTokens'] as const;
const FLAG_KEYS = ['includeUsageAlways', 'omitUsage'] as const;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Checks that `v` is a fault; throws a descriptive Error otherwise. */
export function validateFault(v: unknown): Fault {
  if (typeof v === 'string') {
    if (FAULT_KINDS.has(v)) return v as FaultKind;
    throw new Error(`unknown fault ${JSON.stringify(v)}`);
  }
  if (typeof v === 'object' && v !== null && 'status' in v) {
    const f = v as { status: unknown; body?: unknown; headers?: unknown };
    if (!isCount(f.status) || f.status < 100 || f.status > 599)
      throw new Error('fault.status must be 100..599');
    if (f.body !== undefined && typeof f.body !== 'string') throw new Error('fault.body must be a string');
    if (f.headers !== undefined && (typeof f.headers !== 'object' || f.headers === null)) {
      throw new Error('fault.headers must be an object');
    }
    return v as Fault;
  }
  throw new Error(`invalid fault ${JSON.stringify(v)}`);
}

/**
 * Validates a partial behaviour (from code or from the `x-fake-behaviour` header).
 * Unknown keys and bad values throw, so typos in tests do not silently do nothing.
 * `null` for an optional key means "unset".
 */
export function validateBehaviour(input: unknown): Partial<Behaviour> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error('behaviour must be a JSON object');
  }
  const src = input as Record<string, unknown>;
  const out: Partial<Behaviour> = {};
  for (const key of Object.keys(src)) {
    const v = src[key];
    if ((COUNT_KEYS as readonly string[]).includes(key)) {
      if (!isCount(v)) throw new Error(`behaviour.${key} must be a non-negative integer`);
      out[key as (typeof COUNT_KEYS)[number]] = v;
    } else if ((OPTIONAL_COUNT_KEYS as readonly string[]).includes(key)) {
      if (v !== undefined && v !== null && !isCount(v)) {
        throw new Error(`behaviour.${key} must be a non-negative integer or null`);
      }
      out[key as (typeof OPTIONAL_COUNT_KEYS)[number]] = v ?? undefined;
    } else if ((FLAG_KEYS as readonly string[]).includes(key)) {
      if (typeof v !== 'boolean') throw new Error(`behaviour.${key} must be a boolean`);
      out[key as (typeof FLAG_KEYS)[number]] = v;
    } else if (key === 'fault') {
      out.fault = v === undefined || v === null ? undefined : validateFault(v);
    } else {
      throw new Error(`unknown behaviour key ${JSON.stringify(key)}`);
    }
  }
  if (out.tokensPerChunk === 0) throw new Error('behaviour.tokensPerChunk must be >= 1');
  return out;
}

/** Parses the `x-fake-behaviour` header (JSON object of behaviour keys); throws on invalid input. */
export function parseBehaviourHeader(value: string): Partial<Behaviour> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('x-fake-behaviour is not valid JSON');
  }
  return validateBehaviour(parsed);
}

const MODEL_FAULTS: Record<string, FaultKind> = {
  'fake-refuse': 'refuse',
  'fake-reset': 'reset',
  'fake-reset-mid-stream': 'reset-mid-stream',
  'fake-error-mid-stream': 'error-mid-stream',
  'fake-hang': 'hang',
  'fake-malformed-json': 'malformed-json',
  'fake-garbage-sse': 'garbage-sse',
};

const MODEL_NUMBERS: ReadonlyArray<[prefix: string, key: 'latencyMs' | 'chunks' | 'chunkDelayMs']> = [
  ['fake-slow-', 'latencyMs'],
  ['fake-chunks-', 'chunks'],
  ['fake-chunk-delay-', 'chunkDelayMs'],
];

/**
 * Behaviour encoded in a special model name (for tests that cannot set headers):
 * `fake-fail-<status>`, `fake-refuse`, `fake-reset`, `fake-reset-mid-stream`, `fake-error-mid-stream`,
 * `fake-hang`, `fake-malformed-json`, `fake-garbage-sse`, `fake-slow-<ms>`, `fake-chunks-<n>`,
 * `fake-chunk-delay-<ms>`. Returns undefined for any other model.
 */
export function behaviourFromModel(model: string): Partial<Behaviour> | undefined {
  if (!model.startsWith('fake-')) return undefined;
  const kind = MODEL_FAULTS[model];
  if (kind !== undefined) return { fault: kind };
  if (model.startsWith('fake-fail-')) {
    const status = Number(model.slice('fake-fail-'.length));
    if (Number.isInteger(status) && status >= 100 && status <= 599) return { fault: { status } };
    return undefined;
  }
  for (const [prefix, key] of MODEL_NUMBERS) {
    if (!model.startsWith(prefix)) continue;
    const n = Number(model.slice(prefix.length));
    return isCount(n) ? { [key]: n } : undefined;
  }
  return undefined;
}

/** FIFO of queued faults, each consumed by the first request whose path matches its filter. */
export class FaultQueue {
  #items: Array<{ fault: Fault; path?: string | RegExp | undefined }> = [];

  /** Validates and appends. */
  push(faults: QueuedFault[]): void {
    for (const q of faults) {
      if (typeof q === 'object' && q !== null && 'fault' in q) {
        this.#items.push({ fault: validateFault(q.fault), path: q.path });
      } else {
        this.#items.push({ fault: validateFault(q) });
      }
    }
  }

  /** Removes and returns the first fault matching `path`, or undefined. */
  take(path: string): Fault | undefined {
    const items = this.#items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const p = item.path;
      if (p === undefined || (typeof p === 'string' ? p === path : p.test(path))) {
        items.splice(i, 1);
        return item.fault;
      }
    }
    return undefined;
  }

  get size(): number {
    return this.#items.length;
  }

  clear(): void {
    this.#items = [];
  }
}
