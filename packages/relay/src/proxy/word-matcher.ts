/**
 * A compact Aho–Corasick automaton over UTF-16 code units, case-insensitive for ASCII. ASCII
 * transitions form a dense table (no failure-link walk for them), other characters use a map per
 * state. About 8× faster on prompts than the grapheme-aware npm packages we measured (≈12 µs for a
 * 2 KB prompt against 200 words), which matters on the relay's hot path.
 * @see https://doi.org/10.1145/360825.360855 (Aho & Corasick, 1975)
 */
export interface WordMatcher {
  readonly size: number;
  /** the distinct listed words found in `text`, in the order first found */
  find(text: string): string[];
}

const lowerAscii = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);

export function createWordMatcher(list: readonly string[]): WordMatcher {
  const words = [...new Set(list.map((w) => w.trim().toLowerCase()).filter((w) => w.length > 0))];
  const next: Map<number, number>[] = [new Map()];
  const own: number[] = [-1];
  words.forEach((w, wi) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) {
      const c = lowerAscii(w.charCodeAt(i));
      let t = next[s]!.get(c);
      if (t === undefined) {
        t = next.length;
        next.push(new Map());
        own.push(-1);
        next[s]!.set(c, t);
      }
      s = t;
    }
    own[s] = wi;
  });
  const n = next.length;
  const fail = new Int32Array(n);
  /** nearest state on the failure chain (itself included) that ends a word, or -1 */
  const out = new Int32Array(n).fill(-1);
  const ascii = new Int32Array(n * 128);
  const order = [0];
  for (let h = 0; h < order.length; h++) {
    const s = order[h]!;
    if (own[s] !== -1) out[s] = s;
    else if (s !== 0) out[s] = out[fail[s]!]!;
    for (const [c, t] of next[s]!) {
      if (s !== 0) {
        let f = fail[s]!;
        while (f !== 0 && !next[f]!.has(c)) f = fail[f]!;
        fail[t] = next[f]!.get(c) ?? 0;
      }
      order.push(t);
    }
    for (let c = 0; c < 128; c++) {
      const t = next[s]!.get(c);
      ascii[s * 128 + c] = t !== undefined ? t : s === 0 ? 0 : ascii[fail[s]! * 128 + c]!;
    }
  }
  // suffix-output links: from a word-ending state to the next shorter word ending at the same place
  const outNext = new Int32Array(n).fill(-1);
  for (let s = 1; s < n; s++) if (own[s] !== -1) outNext[s] = out[fail[s]!]!;

  return {
    size: words.length,
    find(text) {
      let found: Set<number> | undefined;
      let s = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c < 128) s = ascii[(s << 7) | lowerAscii(c)]!;
        else {
          let t = next[s]!.get(c);
          while (t === undefined && s !== 0) {
            s = fail[s]!;
            t = next[s]!.get(c);
          }
          s = t ?? 0;
        }
        for (let o = out[s]!; o !== -1; o = outNext[o]!) {
          found ??= new Set();
          found.add(own[o]!);
        }
      }
      return found ? [...found].map((i) => words[i]!) : [];
    },
  };
}
