/**
 * Model patterns: an exact name, or a `prefix*` wildcard (`*` alone matches everything).
 * Exact names beat wildcards; among wildcards the longest prefix wins, so matching is deterministic.
 */
export interface PatternTable<T> {
  exact: Map<string, T>;
  /** sorted by prefix length, longest first */
  wildcards: { prefix: string; value: T }[];
}

export function isWildcard(pattern: string): boolean {
  return pattern.endsWith('*');
}

/** Builds a pattern table; `merge` combines two values stored under the same pattern. */
export function buildPatternTable<T>(
  entries: Iterable<[string, T]>,
  merge?: (a: T, b: T) => T,
): PatternTable<T> {
  const exact = new Map<string, T>();
  const wild = new Map<string, T>();
  for (const [pattern, value] of entries) {
    const target = isWildcard(pattern) ? wild : exact;
    const key = isWildcard(pattern) ? pattern.slice(0, -1) : pattern;
    const prev = target.get(key);
    target.set(key, prev !== undefined && merge ? merge(prev, value) : value);
  }
  const wildcards = [...wild].map(([prefix, value]) => ({ prefix, value }));
  wildcards.sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : 1));
  return { exact, wildcards };
}

/** The value for `name`: the exact entry, else the longest matching wildcard. */
export function matchPattern<T>(table: PatternTable<T>, name: string): T | undefined {
  const hit = table.exact.get(name);
  if (hit !== undefined) return hit;
  for (const w of table.wildcards) if (name.startsWith(w.prefix)) return w.value;
  return undefined;
}

/** True when any pattern in the list matches `name` (for a key's allowed-models list). */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  for (const p of patterns) {
    if (isWildcard(p) ? name.startsWith(p.slice(0, -1)) : p === name) return true;
  }
  return false;
}
