/**
 * Sends one tiny chat completion through a channel, the way a relay would (OpenAI-compatible
 * `POST {base}/v1/chat/completions` with the channel's key), and measures it. The control plane never
 * imports relay code; this is its own small client.
 */
export interface ChannelTestResult {
  ok: boolean;
  /** wall time of the request (ms) */
  latencyMs: number;
  /** upstream HTTP status, when one came back */
  status?: number;
  /** why the test failed: a short, key-free description */
  error?: string;
}

/** The system error code behind a failed `fetch` (ECONNREFUSED, ENOTFOUND…), when there is one. */
export function fetchErrorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown; errors?: { code?: unknown }[] } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `https://host` or `https://host/v1` → `https://host/v1` (no trailing slash). */
export function openAiBase(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

export async function testChannelRequest(o: {
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
}): Promise<ChannelTestResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(`${openAiBase(o.baseUrl)}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: o.model,
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 1,
        stream: false,
      }),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const text = await res.text();
    const latencyMs = elapsed();
    if (!res.ok) return { ok: false, latencyMs, status: res.status, error: `HTTP ${res.status}` };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, latencyMs, status: res.status, error: 'the answer is not JSON' };
    }
    if (!body || typeof body !== 'object' || !Array.isArray((body as { choices?: unknown }).choices))
      return { ok: false, latencyMs, status: res.status, error: 'the answer has no choices' };
    return { ok: true, latencyMs, status: res.status };
  } catch (err) {
    const e = err as Error;
    const reason =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? 'timed out'
        : (fetchErrorCode(e) ?? 'connection failed');
    return { ok: false, latencyMs: elapsed(), error: reason };
  }
}

/**
 * Upstream balance in cents from OpenAI-style billing endpoints (`/dashboard/billing/subscription`
 * hard limit minus `/dashboard/billing/usage` of the last 100 days), as one-api reads it. Undefined
 * when the upstream has no such endpoints: the admin then enters the balance by hand.
 */
export async function queryBalanceCents(o: {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  now: number;
}): Promise<number | undefined> {
  const base = o.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${o.apiKey}` },
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    return (await res.json()) as Record<string, unknown>;
  };
  try {
    const sub = await get('/v1/dashboard/billing/subscription');
    const limit = Number(sub?.hard_limit_usd);
    if (!sub || !Number.isFinite(limit)) return undefined;
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    const usage = await get(
      `/v1/dashboard/billing/usage?start_date=${day(o.now - 100 * 86_400_000)}&end_date=${day(o.now + 86_400_000)}`,
    );
    const used = Number(usage?.total_usage ?? 0);
    return Math.round(limit * 100 - (Number.isFinite(used) ? used : 0));
  } catch {
    return undefined;
  }
}
