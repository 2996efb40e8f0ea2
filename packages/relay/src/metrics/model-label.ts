import { buildPatternTable, matchPattern, type PatternTable } from '@tollgate/shared/model-match.ts';
import type { ConfigPart } from '@tollgate/shared/snapshot/types.ts';
import type { SnapshotStore } from '../snapshot/store.ts';

/** The label of every model that no route of the snapshot serves (or that the request never named). */
export const OTHER_MODEL = 'other';

/** Every route pattern of every group, each labelled with itself (`gpt-4o`, `claude-*`). */
function labelTable(config: ConfigPart): PatternTable<string> {
  const patterns: [string, string][] = [];
  for (const table of config.routes.values()) {
    for (const name of table.exact.keys()) patterns.push([name, name]);
    for (const { prefix } of table.wildcards) patterns.push([`${prefix}*`, `${prefix}*`]);
  }
  return buildPatternTable(patterns);
}

/**
 * Maps a client's model name to a bounded metric label: an exactly routed model keeps its name, a model
 * routed by a wildcard gets the pattern (`gpt-4*`), anything else is `other` — so a client sending
 * random names cannot grow the label set. The table is rebuilt only when the snapshot's config part
 * changes (token updates keep it).
 */
export function createModelLabeler(store: SnapshotStore): (model: string) => string {
  let builtFor: ConfigPart | undefined;
  let table: PatternTable<string> = buildPatternTable([]);
  return (model) => {
    const config = store.current()?.config;
    if (!config) return OTHER_MODEL;
    if (config !== builtFor) {
      table = labelTable(config);
      builtFor = config;
    }
    return matchPattern(table, model) ?? OTHER_MODEL;
  };
}
