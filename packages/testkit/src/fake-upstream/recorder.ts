import type { RequestLogEntry, ServedEntry, Totals } from './types.ts';

/**
 * Request and usage logs with exact running totals.
 * The arrays keep at least the newest `maxEntries` entries (trimmed in batches, so a benchmark does not
 * grow memory without bound); totals count everything since the last clear.
 */
export class Recorder {
  readonly requests: RequestLogEntry[] = [];
  readonly served: ServedEntry[] = [];
  readonly maxEntries: number;
  #requests = 0;
  #prompt = 0;
  #completion = 0;
  #cached = 0;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  /** Appends a received request. */
  logRequest(entry: RequestLogEntry): void {
    if (this.maxEntries === 0) return;
    const arr = this.requests;
    arr.push(entry);
    if (arr.length >= this.maxEntries * 2) arr.splice(0, arr.length - this.maxEntries);
  }

  /** Appends a served entry and adds its prompt / cached / completion tokens to the totals. */
  beginServed(entry: ServedEntry): void {
    this.#requests++;
    this.#prompt += entry.promptTokens;
    this.#cached += entry.cachedTokens;
    this.#completion += entry.completionTokens;
    if (this.maxEntries === 0) return;
    const arr = this.served;
    arr.push(entry);
    if (arr.length >= this.maxEntries * 2) arr.splice(0, arr.length - this.maxEntries);
  }

  /** Records one more streamed chunk carrying `tokens` completion tokens. */
  addChunk(entry: ServedEntry, tokens: number): void {
    entry.chunksSent++;
    entry.completionTokens += tokens;
    this.#completion += tokens;
  }

  /** Sums since the last clear. */
  totals(): Totals {
    return {
      requests: this.#requests,
      promptTokens: this.#prompt,
      completionTokens: this.#completion,
      totalTokens: this.#prompt + this.#completion,
      cachedTokens: this.#cached,
    };
  }

  /** Empties both logs (in place: references held by tests stay valid) and zeroes the totals. */
  clear(): void {
    this.requests.length = 0;
    this.served.length = 0;
    this.#requests = 0;
    this.#prompt = 0;
    this.#completion = 0;
    this.#cached = 0;
  }
}
