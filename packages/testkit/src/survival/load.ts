import type { Db } from '@tollgate/shared/db/index.ts';
import OpenAI, { APIError } from 'openai';
import { booksOf } from '../harness/customers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LoadTarget {
  /** relay base URL (…/v1 is appended) */
  url: string;
  key: string;
  /** who the answer is billed to (counted per user) */
  userId: number;
}

export interface LoadResult {
  /** complete answers (a stream read to its end), per user id */
  ok: Map<number, number>;
  /** refusals and failures by `status code` ("503 billing_unavailable", "error ECONNRESET") */
  failures: Map<string, number>;
  /** complete answers in total */
  total: number;
}

/**
 * A steady mixed load with the official `openai` client: `workers` loops, each sending one request at a
 * time round-robin over `targets`, every other one streamed, until `stop()`. Counts complete answers
 * per user and failures by kind, so a test can hold the books against what clients really received.
 */
export function steadyLoad(targets: LoadTarget[], o: { workers: number; pauseMs?: number; model: string }) {
  const clients = targets.map((t) => ({
    t,
    api: new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.key, maxRetries: 0, timeout: 30_000 }),
  }));
  const ok = new Map<number, number>();
  const failures = new Map<string, number>();
  let total = 0;
  let running = true;
  let n = 0;
  const fail = (kind: string) => failures.set(kind, (failures.get(kind) ?? 0) + 1);

  async function one(i: number): Promise<void> {
    const c = clients[i % clients.length];
    if (!c) return;
    const body = {
      model: o.model,
      max_tokens: 16,
      messages: [{ role: 'user' as const, content: `request ${i}` }],
    };
    try {
      if (i % 2 === 0) {
        const r = await c.api.chat.completions.create(body);
        if (!r.choices[0]) throw new Error('no choice');
      } else {
        const s = await c.api.chat.completions.create({ ...body, stream: true });
        let finished = false;
        for await (const chunk of s) if (chunk.choices[0]?.finish_reason) finished = true;
        if (!finished) throw new Error('stream ended without finish_reason');
      }
      ok.set(c.t.userId, (ok.get(c.t.userId) ?? 0) + 1);
      total++;
    } catch (err) {
      if (err instanceof APIError) fail(`${err.status ?? '-'} ${String(err.code ?? err.type ?? '')}`);
      else fail(`error ${(err as Error).message}`);
    }
  }

  const done = Promise.all(
    Array.from({ length: o.workers }, async () => {
      while (running) {
        await one(n++);
        if (o.pauseMs) await sleep(o.pauseMs);
      }
    }),
  );
  return {
    /** complete answers so far */
    total: () => total,
    failures: () => new Map(failures),
    async stop(): Promise<LoadResult> {
      running = false;
      await done;
      return { ok, failures, total };
    },
  };
}

/** Reads one sample of a Prometheus gauge/counter from a relay's /metrics (no labels). */
export async function metricValue(relayUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${relayUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** Polls `check` every 100 ms until it returns true or `timeoutMs` passes; returns whether it did. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/**
 * A user's books once its settlements have landed: waits (up to 20 s) until SQL has at least `rows`
 * usage rows, then 1.5 s more — anything extra (a double charge) would land by then — and reads again.
 */
export async function settledBooks(db: Db, userId: number, tokenId: number | undefined, rows: number) {
  await eventually(async () => (await booksOf(db, userId, tokenId)).rows >= rows, 20_000);
  await new Promise((r) => setTimeout(r, 1500));
  return booksOf(db, userId, tokenId);
}
