import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type { Database } from './db/types.ts';
import type { ConfigChange } from './snapshot/types.ts';

export interface ConfigMessage {
  version: number;
  changes: ConfigChange[];
}

/**
 * Inside the writer's transaction: bumps `config_version` by one and records what changed, so a
 * relay that missed the pub/sub message (or has no Redis) can catch up from SQL.
 */
export async function bumpConfigVersion(trx: Kysely<Database>, changes: ConfigChange[]): Promise<number> {
  await trx.updateTable('configVersion').set({ version: sql`version + 1` }).where('id', '=', 1).execute();
  const row = await trx
    .selectFrom('configVersion')
    .select('version')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  const version = Number(row.version);
  await trx
    .insertInto('configChanges')
    .values({ version, changes: JSON.stringify(changes), createdAt: Date.now() })
    .execute();
  return version;
}

/** Publishes a committed change; fire-and-forget (relays resync from SQL on any gap). */
export interface ConfigPublisher {
  publish(message: ConfigMessage): Promise<void>;
}

/** Publishes `{ version, changes }` on `channel` (RedisNames.configChannel) after every committed write. */
export function createConfigPublisher(redis: Redis | undefined, channel: string): ConfigPublisher {
  return {
    async publish(message) {
      if (!redis) return;
      try {
        await redis.publish(channel, JSON.stringify(message));
      } catch {
        // the relays' periodic version check picks the change up
      }
    },
  };
}

/** Parses a pub/sub message; undefined for anything malformed. */
export function parseConfigMessage(text: string): ConfigMessage | undefined {
  try {
    const m = JSON.parse(text) as ConfigMessage;
    return typeof m.version === 'number' && Array.isArray(m.changes) ? m : undefined;
  } catch {
    return undefined;
  }
}
