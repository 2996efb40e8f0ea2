import type { Redis } from 'ioredis';
import type { Db } from './db/index.ts';
import { streamEntries } from './redis.ts';

/** Consumer group of the control plane on that stream. */
export const EVENTS_GROUP = 'control-plane';

/** A failed upstream attempt, reported as it happens (feeds auto-disable, SPEC §4). */
export interface ChannelFailureEvent {
  kind: 'channel_failure';
  channelId: number;
  model: string;
  /** connect | timeout | reset | status */
  reason: string;
  status?: number;
  at: number;
}

/**
 * One relay's request counters over one interval (feeds the alert rules, SPEC §7): aggregated in
 * memory, so alerts cost no database write per request. Keys of the records are ids / model names.
 */
export interface TrafficEvent {
  kind: 'traffic';
  /** start of the interval (epoch ms) */
  at: number;
  intervalMs: number;
  /** finished requests, and those that ended in a server-side error (status ≥ 500) */
  requests: number;
  errors: number;
  /** upstream attempts per channel: answered, failed */
  channels: Record<string, { ok: number; fail: number }>;
  /** finished requests per key (token id) */
  keys: Record<string, number>;
  /** requests per model that found no channel able to answer */
  noChannel: Record<string, number>;
  /** prompts that matched the sensitive-word list, per key */
  sensitive: Record<string, { userId: number; hits: number; refused: number; words: string[] }>;
}

/**
 * What a relay reports to the control plane — the only writer of configuration — instead of writing
 * configuration itself (DESIGN §1).
 */
export type RelayEvent = ChannelFailureEvent | TrafficEvent;

export interface StoredEvent {
  id: string;
  event: RelayEvent;
}

/** Reads and acknowledges relay events: Redis stream consumer group, or the `relay_events` table. */
export interface EventSource {
  read(max: number): Promise<StoredEvent[]>;
  ack(ids: string[]): Promise<void>;
}

export function parseEvent(text: string): RelayEvent | undefined {
  try {
    const e = JSON.parse(text) as RelayEvent;
    if (!e || typeof e.at !== 'number') return undefined;
    if (e.kind === 'channel_failure') return typeof e.channelId === 'number' ? e : undefined;
    if (e.kind === 'traffic')
      return typeof e.requests === 'number' && e.channels && e.keys && e.noChannel && e.sensitive
        ? e
        : undefined;
    return undefined;
  } catch {
    return undefined;
  }
}

/** Appends events; Redis stream when configured, else one batched SQL insert. */
export async function appendEvents(
  target: { redis?: Redis; db: Db; stream: string },
  events: RelayEvent[],
): Promise<void> {
  if (events.length === 0) return;
  if (target.redis) {
    const pipe = target.redis.pipeline();
    for (const e of events) pipe.xadd(target.stream, 'MAXLEN', '~', '100000', '*', 'e', JSON.stringify(e));
    await pipe.exec();
    return;
  }
  await target.db.db
    .insertInto('relayEvents')
    .values(events.map((e) => ({ kind: e.kind, payload: JSON.stringify(e), createdAt: e.at })))
    .execute();
}

export function createEventSource(source: {
  redis?: Redis;
  db: Db;
  consumer: string;
  stream: string;
}): EventSource {
  const { redis, db, stream } = source;
  if (redis) {
    const r: Redis = redis;
    let groupReady = false;
    return {
      async read(max) {
        try {
          return await readOnce(max);
        } catch (err) {
          // Redis lost the stream (restart without persistence): create the group again next time
          if ((err as Error).message?.includes('NOGROUP')) groupReady = false;
          throw err;
        }
      },
      async ack(ids) {
        if (ids.length) await redis.xack(stream, EVENTS_GROUP, ...ids);
      },
    };
    async function readOnce(max: number): Promise<StoredEvent[]> {
      if (!groupReady) {
        try {
          await r.xgroup('CREATE', stream, EVENTS_GROUP, '0', 'MKSTREAM');
        } catch (err) {
          if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
        }
        groupReady = true;
      }
      // pending entries of this consumer first (a crash between read and ack), then new ones
      const out: StoredEvent[] = [];
      for (const from of ['0', '>']) {
        const reply = await r.call(
          'XREADGROUP',
          'GROUP',
          EVENTS_GROUP,
          source.consumer,
          'COUNT',
          max,
          'STREAMS',
          stream,
          from,
        );
        for (const [id, fields] of streamEntries(reply)) {
          const e = parseEvent(fields[1] ?? '');
          if (e) out.push({ id, event: e });
          else await r.xack(stream, EVENTS_GROUP, id);
        }
        if (out.length > 0) break;
      }
      return out;
    }
  }
  return {
    async read(max) {
      const rows = await db.db
        .selectFrom('relayEvents')
        .select(['id', 'payload'])
        .orderBy('id')
        .limit(max)
        .execute();
      const out: StoredEvent[] = [];
      for (const r of rows) {
        const e = parseEvent(r.payload);
        if (e) out.push({ id: String(r.id), event: e });
      }
      // malformed rows are dropped with the batch
      if (out.length < rows.length) {
        const good = new Set(out.map((o) => o.id));
        const bad = rows.filter((r) => !good.has(String(r.id))).map((r) => r.id);
        if (bad.length) await db.db.deleteFrom('relayEvents').where('id', 'in', bad).execute();
      }
      return out;
    },
    async ack(ids) {
      if (ids.length) await db.db.deleteFrom('relayEvents').where('id', 'in', ids.map(Number)).execute();
    },
  };
}
