/** What a limit counts, as in OpenAI's `x-ratelimit-*-requests` / `x-ratelimit-*-tokens` headers. */
export type LimitUnit = 'requests' | 'tokens';

/** One limit's state as the client is told it. */
export interface LimitState {
  unit: LimitUnit;
  limit: number;
  remaining: number;
  /** milliseconds until the current window ends */
  msBeforeNext: number;
}

const trim = (n: number) => String(Number(n.toFixed(3)));

/**
 * A duration the way OpenAI writes `x-ratelimit-reset-*` (Go's `time.Duration` format): `20ms`,
 * `1.5s`, `6m0s`.
 */
export function resetIn(ms: number): string {
  const t = Math.max(0, Math.ceil(ms));
  if (t < 1000) return `${t}ms`;
  if (t < 60_000) return `${trim(t / 1000)}s`;
  return `${Math.floor(t / 60_000)}m${trim((t % 60_000) / 1000)}s`;
}

/**
 * `Retry-After` in whole seconds, rounded up and at least 1.
 * @see https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
 */
export function retryAfter(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** The `x-ratelimit-{limit,remaining,reset}-{unit}` headers of some limits. */
export function limitHeaders(states: readonly LimitState[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of states) {
    out[`x-ratelimit-limit-${s.unit}`] = String(s.limit);
    out[`x-ratelimit-remaining-${s.unit}`] = String(Math.max(0, s.remaining));
    out[`x-ratelimit-reset-${s.unit}`] = resetIn(s.msBeforeNext);
  }
  return out;
}
