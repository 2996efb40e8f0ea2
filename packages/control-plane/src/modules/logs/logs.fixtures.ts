import { randomBytes } from 'node:crypto';
import { type Database, insertedId } from '@tollgate/shared/db/index.ts';
import type { Insertable } from 'kysely';
import type { ControlPlaneDeps } from '../../deps.ts';

export type LogSeed = Partial<Insertable<Database['logs']>> & { userId: number };

/** A complete usage row with plausible values; `over` replaces any of them. */
export function logValues(over: LogSeed): Insertable<Database['logs']> {
  return {
    requestId: `req_test_${randomBytes(8).toString('hex')}`,
    createdAt: Date.now(),
    kind: 'usage',
    tokenId: null,
    model: 'gpt-4o-mini',
    upstreamModel: 'gpt-4o-mini',
    channelId: null,
    triedChannels: null,
    promptTokens: 12,
    cachedTokens: 0,
    completionTokens: 34,
    cost: 100,
    channelCost: 40,
    latencyMs: 250,
    ttftMs: null,
    isStream: 0,
    statusCode: 200,
    errorCode: null,
    ip: '203.0.113.7',
    note: null,
    ...over,
  };
}

/** Inserts one log row straight into the table (tests seed history; the relay writes real rows). */
export async function seedLog(deps: Pick<ControlPlaneDeps, 'db'>, over: LogSeed): Promise<number> {
  const res = await deps.db.db.insertInto('logs').values(logValues(over)).executeTakeFirstOrThrow();
  return insertedId(res);
}

/** Inserts many rows in chunks (each chunk one statement). */
export async function seedLogs(
  deps: Pick<ControlPlaneDeps, 'db'>,
  rows: LogSeed[],
  chunk = 500,
): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    await deps.db.db
      .insertInto('logs')
      .values(rows.slice(i, i + chunk).map(logValues))
      .execute();
  }
}
