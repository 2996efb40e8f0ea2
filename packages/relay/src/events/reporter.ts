import type { Db } from '@tollgate/shared/db/index.ts';
import { appendEvents, type RelayEvent } from '@tollgate/shared/events.ts';
import type { Logger } from '@tollgate/shared/logger.ts';
import type { Redis } from 'ioredis';

/** Buffers events off the hot path and ships them every `intervalMs` (never a write per request). */
export interface EventReporter {
  report(e: RelayEvent): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createEventReporter(o: {
  db: Db;
  redis?: Redis;
  /** RedisNames.eventsStream */
  stream: string;
  logger: Logger;
  intervalMs?: number;
  maxBuffer?: number;
}): EventReporter {
  let buffer: RelayEvent[] = [];
  const max = o.maxBuffer ?? 10_000;
  let flushing: Promise<void> | undefined;
  const flush = async () => {
    if (flushing) return flushing;
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    flushing = appendEvents(o, batch)
      .catch((err: unknown) => {
        // keep what fits; events are advisory, the buffer is bounded
        buffer = batch.concat(buffer).slice(-max);
        o.logger.warn(
          { err: (err as Error).message, pending: buffer.length },
          'cannot ship relay events yet',
        );
      })
      .finally(() => {
        flushing = undefined;
      });
    return flushing;
  };
  const timer = setInterval(() => void flush(), o.intervalMs ?? 250);
  timer.unref();
  return {
    report(e) {
      if (buffer.length >= max) buffer.shift();
      buffer.push(e);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
