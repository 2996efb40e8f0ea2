import { matchPattern } from '@tollgate/shared/model-match.ts';
import type { ChannelEntry, Snapshot, Tier } from '@tollgate/shared/snapshot/types.ts';

export interface SelectInput {
  group: string;
  model: string;
  /** channels already tried in this request */
  exclude?: ReadonlySet<number>;
  /** channels cooling down for this model */
  isCoolingDown?: (channelId: number, model: string) => boolean;
  /** a number in [0, 1); injectable for tests */
  random?: () => number;
}

/** The priority tiers serving `model` for `group`, or undefined when nothing routes it. */
export function routeTiers(snapshot: Snapshot, group: string, model: string): Tier[] | undefined {
  const table = snapshot.config.routes.get(group);
  return table ? matchPattern(table, model) : undefined;
}

/**
 * Picks a channel (SPEC §4, DESIGN §3): highest priority tier with a usable channel first, weighted
 * random inside it; excluded and cooling-down channels are skipped. Pure given `random`.
 */
export function selectChannel(snapshot: Snapshot, input: SelectInput): ChannelEntry | undefined {
  const tiers = routeTiers(snapshot, input.group, input.model);
  if (!tiers) return undefined;
  const random = input.random ?? Math.random;
  for (const tier of tiers) {
    let usable: ChannelEntry[] | undefined;
    let total = 0;
    for (const ch of tier.channels) {
      if (input.exclude?.has(ch.id) || input.isCoolingDown?.(ch.id, input.model)) continue;
      usable ??= [];
      usable.push(ch);
      total += Math.max(0, ch.weight);
    }
    if (!usable) continue;
    if (total <= 0) return usable[Math.floor(random() * usable.length)];
    let r = random() * total;
    for (const ch of usable) {
      r -= Math.max(0, ch.weight);
      if (r < 0) return ch;
    }
    return usable[usable.length - 1];
  }
  return undefined;
}
