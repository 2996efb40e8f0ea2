import type { RelayEvent, TrafficEvent } from '@tollgate/shared/events.ts';
import type { FinishedRequest, SensitiveHit } from '../routes/relay-endpoint.ts';

/**
 * Request counters for the alert rules (SPEC §7), aggregated in memory and reported as one `traffic`
 * event per interval: a few map increments per request, no database write per request.
 */
export interface TrafficCounter {
  /** a finished request (answered, refused by the upstream, or out of channels) */
  finished(r: FinishedRequest): void;
  /** every relay event passes here; channel failures are counted */
  event(e: RelayEvent): void;
  /** a prompt matched the sensitive-word list */
  sensitive(hit: SensitiveHit): void;
  /** reports the counters gathered so far (also called by the timer) */
  flush(): void;
  close(): void;
}

const MAX_WORDS = 10;

export function createTrafficCounter(o: {
  report: (e: RelayEvent) => void;
  intervalMs?: number;
  now?: () => number;
}): TrafficCounter {
  const intervalMs = o.intervalMs ?? 10_000;
  const now = o.now ?? Date.now;
  let cur = empty();
  function empty(): TrafficEvent {
    return {
      kind: 'traffic',
      at: 0,
      intervalMs,
      requests: 0,
      errors: 0,
      channels: {},
      keys: {},
      noChannel: {},
      sensitive: {},
    };
  }
  /** the interval starts with its first count, so an idle relay's next event is not back-dated */
  const touch = () => {
    if (cur.at === 0) cur.at = now();
  };
  const channel = (id: number) => {
    touch();
    const k = String(id);
    let c = cur.channels[k];
    if (!c) {
      c = { ok: 0, fail: 0 };
      cur.channels[k] = c;
    }
    return c;
  };
  const flush = () => {
    const done = cur;
    cur = empty();
    if (
      done.requests === 0 &&
      Object.keys(done.channels).length === 0 &&
      Object.keys(done.sensitive).length === 0
    )
      return;
    done.intervalMs = Math.max(1, now() - done.at);
    o.report(done);
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();
  return {
    finished(r) {
      touch();
      cur.requests++;
      if (r.status >= 500) cur.errors++;
      const key = String(r.tokenId);
      cur.keys[key] = (cur.keys[key] ?? 0) + 1;
      if (r.channelId !== undefined && r.status < 500 && !r.clientAborted) channel(r.channelId).ok++;
      if (r.errorCode === 'no_available_channel' || (r.channelId === undefined && r.status >= 500))
        cur.noChannel[r.model] = (cur.noChannel[r.model] ?? 0) + 1;
    },
    event(e) {
      if (e.kind === 'channel_failure') channel(e.channelId).fail++;
    },
    sensitive({ tokenId, userId, words, refused }) {
      touch();
      const key = String(tokenId);
      let s = cur.sensitive[key];
      if (!s) {
        s = { userId, hits: 0, refused: 0, words: [] };
        cur.sensitive[key] = s;
      }
      s.hits++;
      if (refused) s.refused++;
      for (const w of words) if (s.words.length < MAX_WORDS && !s.words.includes(w)) s.words.push(w);
    },
    flush,
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
