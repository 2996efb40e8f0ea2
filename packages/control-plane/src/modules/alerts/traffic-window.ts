import type { TrafficEvent } from '@tollgate/shared/events.ts';

const BUCKET_MS = 10_000;

interface Bucket {
  requests: number;
  errors: number;
  channels: Map<number, { ok: number; fail: number }>;
  keys: Map<number, number>;
  noChannel: Map<string, number>;
  sensitive: Map<number, { userId: number; hits: number; refused: number; words: Set<string> }>;
}

/**
 * The relays' `traffic` events summed into 10-second buckets, kept in the leader's memory for
 * `keepMs` (the longest alert window). A new leader starts empty: rules over traffic then need one
 * window to see again, which we accept rather than writing counters to SQL every interval.
 */
export class TrafficWindow {
  readonly #buckets = new Map<number, Bucket>();
  readonly #keepMs: number;

  constructor(keepMs = 2 * 3_600_000) {
    this.#keepMs = keepMs;
  }

  add(e: TrafficEvent): void {
    const slot = Math.floor(e.at / BUCKET_MS);
    let b = this.#buckets.get(slot);
    if (!b) {
      b = {
        requests: 0,
        errors: 0,
        channels: new Map(),
        keys: new Map(),
        noChannel: new Map(),
        sensitive: new Map(),
      };
      this.#buckets.set(slot, b);
    }
    b.requests += e.requests;
    b.errors += e.errors;
    for (const [id, c] of Object.entries(e.channels)) {
      const cur = b.channels.get(Number(id)) ?? { ok: 0, fail: 0 };
      cur.ok += c.ok;
      cur.fail += c.fail;
      b.channels.set(Number(id), cur);
    }
    for (const [id, n] of Object.entries(e.keys)) b.keys.set(Number(id), (b.keys.get(Number(id)) ?? 0) + n);
    for (const [m, n] of Object.entries(e.noChannel)) b.noChannel.set(m, (b.noChannel.get(m) ?? 0) + n);
    for (const [id, s] of Object.entries(e.sensitive)) {
      const cur = b.sensitive.get(Number(id)) ?? {
        userId: s.userId,
        hits: 0,
        refused: 0,
        words: new Set<string>(),
      };
      cur.hits += s.hits;
      cur.refused += s.refused;
      for (const w of s.words) if (cur.words.size < 20) cur.words.add(w);
      b.sensitive.set(Number(id), cur);
    }
  }

  prune(now: number): void {
    const oldest = Math.floor((now - this.#keepMs) / BUCKET_MS);
    for (const slot of this.#buckets.keys()) if (slot < oldest) this.#buckets.delete(slot);
  }

  /** buckets overlapping [from, to), at 10-second resolution */
  *#range(from: number, to: number): Iterable<Bucket> {
    const a = Math.floor(from / BUCKET_MS);
    const z = Math.floor((to - 1) / BUCKET_MS);
    for (const [slot, b] of this.#buckets) if (slot >= a && slot <= z) yield b;
  }

  overall(from: number, to: number): { requests: number; errors: number } {
    let requests = 0;
    let errors = 0;
    for (const b of this.#range(from, to)) {
      requests += b.requests;
      errors += b.errors;
    }
    return { requests, errors };
  }

  channels(from: number, to: number): Map<number, { ok: number; fail: number }> {
    const out = new Map<number, { ok: number; fail: number }>();
    for (const b of this.#range(from, to))
      for (const [id, c] of b.channels) {
        const cur = out.get(id) ?? { ok: 0, fail: 0 };
        cur.ok += c.ok;
        cur.fail += c.fail;
        out.set(id, cur);
      }
    return out;
  }

  keys(from: number, to: number): Map<number, number> {
    const out = new Map<number, number>();
    for (const b of this.#range(from, to)) for (const [id, n] of b.keys) out.set(id, (out.get(id) ?? 0) + n);
    return out;
  }

  noChannel(from: number, to: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const b of this.#range(from, to))
      for (const [m, n] of b.noChannel) out.set(m, (out.get(m) ?? 0) + n);
    return out;
  }

  sensitive(
    from: number,
    to: number,
  ): Map<number, { userId: number; hits: number; refused: number; words: string[] }> {
    const out = new Map<number, { userId: number; hits: number; refused: number; words: Set<string> }>();
    for (const b of this.#range(from, to))
      for (const [id, s] of b.sensitive) {
        const cur = out.get(id) ?? { userId: s.userId, hits: 0, refused: 0, words: new Set<string>() };
        cur.hits += s.hits;
        cur.refused += s.refused;
        for (const w of s.words) cur.words.add(w);
        out.set(id, cur);
      }
    return new Map([...out].map(([id, s]) => [id, { ...s, words: [...s.words] }]));
  }
}
