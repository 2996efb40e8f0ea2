import { createEventSource, type EventSource } from '@tollgate/shared/events.ts';
import type { ControlPlaneDeps } from '../deps.ts';
import { setChannelStatus } from '../modules/channels/channels.service.ts';

/**
 * Consumes the relays' `channel_failure` events and auto-disables a channel after
 * `auto_disable_failures` failures within `auto_disable_window_seconds` (SPEC §4). Only the control
 * plane writes configuration: the change goes through the usual config transaction, so every relay
 * and the Admin see it, and an alert event is recorded.
 */
export function createChannelFailureJob(deps: ControlPlaneDeps, consumer: string) {
  const source: EventSource = createEventSource({
    redis: deps.redis,
    db: deps.db,
    consumer,
    stream: deps.redisNames.eventsStream,
  });
  const recent = new Map<number, number[]>();
  const { auto_disable_failures: threshold, auto_disable_window_seconds: windowS } = deps.cfg.channel;

  return async function run(): Promise<{ processed: number; disabled: number[] }> {
    const events = await source.read(500);
    const disabled: number[] = [];
    const now = deps.now();
    for (const { event } of events) {
      const list = recent.get(event.channelId) ?? [];
      list.push(event.at);
      recent.set(event.channelId, list);
    }
    for (const [channelId, list] of recent) {
      const fresh = list.filter((t) => t > now - windowS * 1000);
      if (fresh.length === 0) {
        recent.delete(channelId);
        continue;
      }
      recent.set(channelId, fresh);
      if (threshold > 0 && fresh.length >= threshold) {
        const row = await deps.db.db
          .selectFrom('channels')
          .select(['status', 'name'])
          .where('id', '=', channelId)
          .executeTakeFirst();
        if (row?.status === 'enabled') {
          const reason = `${fresh.length} failures within ${windowS}s`;
          await setChannelStatus(deps, channelId, 'auto_disabled', reason);
          await deps.db.db
            .insertInto('alertEvents')
            .values({
              kind: 'channel_auto_disabled',
              subject: `channel:${channelId}`,
              state: 'fired',
              value: String(fresh.length),
              message: `Channel "${row.name}" was disabled automatically: ${reason}.`,
              firedAt: now,
            })
            .execute();
          deps.logger.warn({ channelId, failures: fresh.length }, 'channel auto-disabled');
          disabled.push(channelId);
        }
        recent.delete(channelId);
      }
    }
    await source.ack(events.map((e) => e.id));
    return { processed: events.length, disabled };
  };
}
