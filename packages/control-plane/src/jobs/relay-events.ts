import {
  type ChannelFailureEvent,
  createEventSource,
  type EventSource,
  type TrafficEvent,
} from '@tollgate/shared/events.ts';
import type { ControlPlaneDeps } from '../deps.ts';
import type { TrafficWindow } from '../modules/alerts/traffic-window.ts';
import { createChannelFailureHandler } from './channel-failures.ts';

/**
 * The one consumer of the relays' events (Redis stream group, or the `relay_events` table): reads a
 * batch, hands each kind to its handler — channel failures to auto-disable, traffic counters to the
 * alert rules' window — then acknowledges the batch.
 */
export function createRelayEventsJob(
  deps: ControlPlaneDeps,
  o: { consumer: string; traffic: TrafficWindow },
) {
  const source: EventSource = createEventSource({
    redis: deps.redis,
    db: deps.db,
    consumer: o.consumer,
    stream: deps.redisNames.eventsStream,
  });
  const channelFailures = createChannelFailureHandler(deps);

  return async function run(): Promise<{ processed: number; disabled: number[] }> {
    const events = await source.read(500);
    const failures: ChannelFailureEvent[] = [];
    for (const { event } of events) {
      if (event.kind === 'channel_failure') failures.push(event);
      else if (event.kind === 'traffic') o.traffic.add(event satisfies TrafficEvent);
    }
    const disabled = await channelFailures(failures);
    await source.ack(events.map((e) => e.id));
    return { processed: events.length, disabled };
  };
}
