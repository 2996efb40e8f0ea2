import { parseConfigMessage } from '@tollgate/shared/config-bus.ts';
import type { Db } from '@tollgate/shared/db/index.ts';
import type { Logger } from '@tollgate/shared/logger.ts';
import type { SecretBox } from '@tollgate/shared/secret-box.ts';
import {
  applyChanges,
  loadFullSnapshot,
  readChangesSince,
  readVersion,
} from '@tollgate/shared/snapshot/load.ts';
import type { ConfigChange } from '@tollgate/shared/snapshot/types.ts';
import type { Redis } from 'ioredis';
import type { SnapshotStore } from './store.ts';

export interface SnapshotSyncOptions {
  db: Db;
  channelBox: SecretBox;
  store: SnapshotStore;
  logger: Logger;
  /** subscriber connection (a dedicated ioredis client); undefined → version polling */
  redis?: Redis;
  /** called with the changes applied incrementally (balances re-read users and keys) */
  onChanges?: (changes: ConfigChange[]) => void;
  /** pub/sub channel of config changes (RedisNames.configChannel) */
  channel: string;
  /** poll interval without Redis (ms) */
  pollMs: number;
  /** safety check interval with Redis (ms) */
  checkMs?: number;
}

export interface SnapshotSync {
  /** Loads the first snapshot, retrying with backoff until the database answers. */
  start(): Promise<void>;
  /** Catches up now (used by tests and on reconnect). */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Keeps the relay's snapshot current (DESIGN §1): pub/sub messages or a cheap version poll trigger a
 * catch-up from `config_changes`; a gap, a reconnect or a failed catch-up reloads everything. While
 * the database is down the last snapshot keeps serving.
 */
export function createSnapshotSync(o: SnapshotSyncOptions): SnapshotSync {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function full(): Promise<void> {
    const snap = await loadFullSnapshot(o.db, o.channelBox);
    o.store.replace(snap);
    o.logger.info(
      { version: snap.version, tokens: snap.tokensByHash.size, channels: snap.config.channels.size },
      'snapshot loaded',
    );
  }

  async function catchUp(): Promise<void> {
    const cur = o.store.current();
    if (!cur) return full();
    const latest = await readVersion(o.db);
    if (latest <= cur.version) return;
    const batches = await readChangesSince(o.db, cur.version);
    const needsFull = batches.some((b) => b.changes.some((ch) => ch.entity === 'all'));
    if (
      needsFull ||
      batches.length === 0 ||
      batches[0]!.version !== cur.version + 1 ||
      batches.at(-1)!.version < latest
    ) {
      o.logger.info({ from: cur.version, to: latest }, 'snapshot gap: full reload');
      return full();
    }
    let snap = cur;
    for (const b of batches) snap = await applyChanges(o.db, o.channelBox, snap, b.version, b.changes);
    o.store.replace(snap);
    for (const b of batches) o.onChanges?.(b.changes);
    o.logger.debug({ version: snap.version }, 'snapshot updated');
  }

  function sync(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await catchUp();
        } catch (err) {
          o.logger.warn({ err }, 'snapshot sync failed; serving the last snapshot');
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  let outagePoll: NodeJS.Timeout | undefined;
  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void sync().finally(() => schedule(ms));
    }, ms);
    timer.unref();
  }

  return {
    async start() {
      let delay = 200;
      while (!stopped) {
        try {
          await full();
          break;
        } catch (err) {
          o.logger.warn({ err, retryInMs: delay }, 'cannot load snapshot yet');
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 5000);
        }
      }
      if (o.redis) {
        const redis = o.redis;
        redis.on('message', (channel: string, text: string) => {
          if (channel !== o.channel) return;
          const msg = parseConfigMessage(text);
          const cur = o.store.current();
          if (msg && cur && msg.version <= cur.version) return;
          void sync();
        });
        redis.on('ready', () => {
          void redis
            .subscribe(o.channel)
            .then(() => sync())
            .catch(() => undefined);
        });
        if (redis.status === 'ready') await redis.subscribe(o.channel);
        schedule(o.checkMs ?? 30_000);
        // pub/sub is silent while Redis is away: poll the version as often as without Redis until it is back
        outagePoll = setInterval(() => {
          if (redis.status !== 'ready') void sync();
        }, o.pollMs);
        outagePoll.unref();
      } else {
        schedule(o.pollMs);
      }
    },
    sync,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (outagePoll) clearInterval(outagePoll);
      await running;
    },
  };
}
