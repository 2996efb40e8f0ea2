import { mayUseGroup, USER_SELECTABLE_GROUPS } from '@tollgate/shared/groups.ts';
import { buildPatternTable, isWildcard, matchPattern } from '@tollgate/shared/model-match.ts';
import { PPM } from '@tollgate/shared/pricing.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { priceColumns } from '../prices/prices.service.ts';
import { getSettings } from '../settings/settings.service.ts';

type Deps = Pick<ControlPlaneDeps, 'db'>;

/**
 * Where API clients send requests: `relay_public_url` from the config, else `http://localhost:<relay_port>`.
 * `baseUrl` is what OpenAI clients take (`…/v1`), whether or not the configured URL ends in `/v1`.
 */
export function relayEndpoint(cfg: Pick<ControlPlaneDeps['cfg'], 'relay_public_url' | 'relay_port'>) {
  const configured = cfg.relay_public_url ?? `http://localhost:${cfg.relay_port}`;
  const origin = configured.replace(/\/+$/, '').replace(/\/v1$/, '');
  return { relayUrl: origin, baseUrl: `${origin}/v1` };
}

/** One row of the price list a user sees: per 1M tokens (or per call), group multiplier applied. */
export interface DocsModel {
  /** an exact model name, or `prefix*` when a channel serves every model with that prefix */
  model: string;
  wildcard: boolean;
  /** quota units per 1M tokens / per call, multiplier applied (fractions possible: display only) */
  price: { input: number; cachedInput: number | null; output: number; perCall: number | null } | null;
  /** no price is set and the operator lets unpriced models through free of charge */
  free: boolean;
}

const scaled = (units: number, ppm: number) => (units * ppm) / PPM;

/**
 * The models a key of `group` can call (SPEC §8), with what they cost the user: every model the
 * enabled channels of the group route (exact names and aliases; for a wildcard channel, the priced
 * models it covers plus the wildcard itself). Models the relay would refuse for lack of a price are
 * left out. Channel names, URLs and keys never leave this function.
 */
export async function docsModels(
  deps: Deps,
  user: { id: number; groupName: string },
  requested?: string,
): Promise<{ group: string; multiplier: number; models: DocsModel[] }> {
  const settings = await getSettings(deps);
  const group = requested ?? user.groupName;
  if (!mayUseGroup(group, user.groupName, { [USER_SELECTABLE_GROUPS]: settings.user_selectable_groups }))
    throw new ServiceError('BAD_REQUEST', `your keys may not use the group "${group}"`);
  const [channels, priceRows, groupRow] = await Promise.all([
    deps.db.db
      .selectFrom('channels')
      .select(['models', 'modelMapping', 'groups', 'keyMasks'])
      .where('status', '=', 'enabled')
      .execute(),
    deps.db.db.selectFrom('prices').select(priceColumns).execute(),
    deps.db.db.selectFrom('groups').select('multiplierPpm').where('name', '=', group).executeTakeFirst(),
  ]);
  const multiplierPpm = groupRow ? Number(groupRow.multiplierPpm) : PPM;
  const routed = new Set<string>();
  for (const ch of channels) {
    const groups = JSON.parse(ch.groups) as string[];
    if (!groups.includes(group) || (JSON.parse(ch.keyMasks) as string[]).length === 0) continue;
    for (const m of JSON.parse(ch.models) as string[]) routed.add(m);
    for (const alias of Object.keys(JSON.parse(ch.modelMapping) as Record<string, string>)) routed.add(alias);
  }
  const prices = buildPatternTable(priceRows.map((p) => [p.model, p] as const));
  const wildcards = [...routed].filter(isWildcard);
  const names = new Set([...routed].filter((m) => !isWildcard(m)));
  for (const p of priceRows) {
    if (!isWildcard(p.model) && wildcards.some((w) => p.model.startsWith(w.slice(0, -1)))) names.add(p.model);
  }
  const models: DocsModel[] = [];
  for (const model of names) {
    const p = matchPattern(prices, model);
    if (!p && !settings.allow_free_models) continue;
    models.push({
      model,
      wildcard: false,
      free: !p,
      price: p
        ? {
            input: scaled(Number(p.inputPrice), multiplierPpm),
            cachedInput:
              p.cachedInputPrice === null ? null : scaled(Number(p.cachedInputPrice), multiplierPpm),
            output: scaled(Number(p.outputPrice), multiplierPpm),
            perCall: p.perCallPrice === null ? null : scaled(Number(p.perCallPrice), multiplierPpm),
          }
        : null,
    });
  }
  models.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  for (const w of wildcards.sort()) models.push({ model: w, wildcard: true, free: false, price: null });
  return { group, multiplier: multiplierPpm / PPM, models };
}
