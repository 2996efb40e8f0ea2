import { buildPatternTable } from '../model-match.ts';
import type { ChannelEntry, RoutingTable, Tier } from './types.ts';

/**
 * Compiles enabled channels into `group → model pattern → tiers` (SPEC §4). Models a channel serves
 * under an alias (`model_mapping` keys) are routable by that alias too.
 */
export function compileRoutes(channels: Iterable<ChannelEntry>): RoutingTable {
  const byGroup = new Map<string, Map<string, ChannelEntry[]>>();
  for (const ch of channels) {
    if (ch.status !== 'enabled' || ch.keys.length === 0) continue;
    const names = new Set([...ch.models, ...Object.keys(ch.modelMapping)]);
    for (const group of ch.groups) {
      let models = byGroup.get(group);
      if (!models) {
        models = new Map();
        byGroup.set(group, models);
      }
      for (const m of names) {
        const list = models.get(m);
        if (list) list.push(ch);
        else models.set(m, [ch]);
      }
    }
  }
  const table: RoutingTable = new Map();
  for (const [group, models] of byGroup) {
    table.set(group, buildPatternTable([...models].map(([m, chs]) => [m, toTiers(chs)] as [string, Tier[]])));
  }
  return table;
}

function toTiers(channels: ChannelEntry[]): Tier[] {
  const byPriority = new Map<number, ChannelEntry[]>();
  for (const ch of channels) {
    const list = byPriority.get(ch.priority);
    if (list) list.push(ch);
    else byPriority.set(ch.priority, [ch]);
  }
  return [...byPriority]
    .sort((a, b) => b[0] - a[0])
    .map(([priority, chs]) => {
      const sorted = chs.sort((a, b) => a.id - b.id);
      return {
        priority,
        channels: sorted,
        totalWeight: sorted.reduce((s, c) => s + Math.max(0, c.weight), 0),
      };
    });
}
