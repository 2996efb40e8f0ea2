import type { ChannelFailureEvent } from '@tollgate/shared/events.ts';
import type { ControlPlaneDeps } from '../deps.ts';
import { setChannelStatus } from '../modules/channels/channels.service.ts';

/**
 * Auto-disables a channel after `auto_disable_failures` failures within
 * `auto_disable_window_seconds` (SPEC §4), from the relays' `channel_failure` events. Only the control
 * plane writes configuration: the change goes through the usual config transaction, so every relay
 * and the Admin see it; the `channel_auto_disabled` alert rule reports it.
 */
export function createChannelFailureHandler(deps: ControlPlaneDeps) {
  const recent = new Map<number, number[]>();
  const { auto_disable_failures: threshold, auto_disable_window_seconds: windowS } = deps.cfg.channel;

  return async function handle(events: ChannelFailureEvent[]): Promise<number[]> {
    const disabled: number[] = [];
    const now = deps.now();
    for (const event of events) {
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
          deps.logger.warn({ channelId, failures: fresh.length }, 'channel auto-disabled');
          disabled.push(channelId);
        }
        recent.delete(channelId);
      }
    }
    return disabled;
  };
}
