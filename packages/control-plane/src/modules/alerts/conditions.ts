import type { ControlPlaneDeps } from '../../deps.ts';
import { type RuleKind, type RuleParams, ruleParamSchemas } from './alerts.schemas.ts';
import type { TrafficWindow } from './traffic-window.ts';

/** One subject for which a rule's condition holds now. */
export interface Condition {
  subject: string;
  value: string;
  message: string;
}

export interface ConditionContext {
  /** `redis` (production mode) for the rules over Redis; undefined in embedded mode */
  deps: Pick<ControlPlaneDeps, 'db'> & Partial<Pick<ControlPlaneDeps, 'redis' | 'redisNames'>>;
  traffic: TrafficWindow;
  now: number;
  /** since when the evaluator has not reached the SQL database (epoch ms); null while it does */
  sqlDownSince: number | null;
}

const MIN = 60_000;
const pct = (n: number) => `${(Math.round(n * 10) / 10).toString()}%`;

async function channelNames(ctx: ConditionContext, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.deps.db.db
    .selectFrom('channels')
    .select(['id', 'name'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

type Evaluator<K extends RuleKind> = (ctx: ConditionContext, p: RuleParams<K>) => Promise<Condition[]>;

/** What each rule kind watches; every evaluator returns the subjects for which it holds now. */
export const evaluators: { [K in Exclude<RuleKind, 'payment_unknown'>]: Evaluator<K> } = {
  async channel_failure_rate(ctx, p) {
    const stats = ctx.traffic.channels(ctx.now - p.windowMinutes * MIN, ctx.now + 1);
    const hits = [...stats].filter(([, s]) => {
      const n = s.ok + s.fail;
      return n >= p.minRequests && (s.fail / n) * 100 > p.thresholdPct;
    });
    const names = await channelNames(
      ctx,
      hits.map(([id]) => id),
    );
    return hits.map(([id, s]) => {
      const rate = (s.fail / (s.ok + s.fail)) * 100;
      return {
        subject: `channel:${id}`,
        value: pct(rate),
        message: `Channel "${names.get(id) ?? id}" failed ${s.fail} of ${s.ok + s.fail} upstream attempts (${pct(rate)}) in the last ${p.windowMinutes} min (threshold ${p.thresholdPct}%).`,
      };
    });
  },

  async channel_auto_disabled(ctx) {
    const rows = await ctx.deps.db.db
      .selectFrom('channels')
      .select(['id', 'name', 'statusReason'])
      .where('status', '=', 'auto_disabled')
      .execute();
    return rows.map((r) => ({
      subject: `channel:${r.id}`,
      value: 'auto_disabled',
      message: `Channel "${r.name}" was disabled automatically${r.statusReason ? `: ${r.statusReason}` : ''}. The scheduled test enables it again once it passes.`,
    }));
  },

  async no_channel(ctx, p) {
    const rows = await ctx.deps.db.db.selectFrom('channels').select(['models', 'status']).execute();
    const listed = new Set<string>();
    const served = new Set<string>();
    for (const r of rows) {
      for (const m of JSON.parse(r.models) as string[]) {
        listed.add(m);
        if (r.status === 'enabled') served.add(m);
      }
    }
    const out = new Map<string, Condition>();
    for (const m of listed)
      if (!served.has(m))
        out.set(m, {
          subject: `model:${m}`,
          value: 'no enabled channel',
          message: `No enabled channel serves model "${m}": every channel listing it is disabled.`,
        });
    for (const [m, n] of ctx.traffic.noChannel(ctx.now - p.windowMinutes * MIN, ctx.now + 1))
      if (!out.has(m))
        out.set(m, {
          subject: `model:${m}`,
          value: `${n} requests`,
          message: `${n} requests for model "${m}" found no channel able to answer in the last ${p.windowMinutes} min.`,
        });
    return [...out.values()];
  },

  async channel_balance_low(ctx) {
    const rows = await ctx.deps.db.db
      .selectFrom('channels')
      .select(['id', 'name', 'balance', 'balanceThreshold', 'status'])
      .where('balance', 'is not', null)
      .where('balanceThreshold', 'is not', null)
      .execute();
    return rows
      .filter((r) => r.status !== 'manual_disabled' && Number(r.balance) < Number(r.balanceThreshold))
      .map((r) => ({
        subject: `channel:${r.id}`,
        value: (Number(r.balance) / 100).toFixed(2),
        message: `The upstream balance of channel "${r.name}" is ${(Number(r.balance) / 100).toFixed(2)}, below its threshold ${(Number(r.balanceThreshold) / 100).toFixed(2)}. Top up the upstream account.`,
      }));
  },

  async error_rate(ctx, p) {
    const { requests, errors } = ctx.traffic.overall(ctx.now - p.windowMinutes * MIN, ctx.now + 1);
    if (requests < p.minRequests) return [];
    const rate = (errors / requests) * 100;
    if (rate <= p.thresholdPct) return [];
    return [
      {
        subject: 'overall',
        value: pct(rate),
        message: `${errors} of ${requests} requests (${pct(rate)}) failed with a server error in the last ${p.windowMinutes} min (threshold ${p.thresholdPct}%).`,
      },
    ];
  },

  async key_traffic_spike(ctx, p) {
    const recent = ctx.traffic.keys(ctx.now - MIN, ctx.now + 1);
    const baseline = ctx.traffic.keys(ctx.now - (p.baselineMinutes + 1) * MIN, ctx.now - MIN);
    const out: Condition[] = [];
    for (const [id, rpm] of recent) {
      const avg = (baseline.get(id) ?? 0) / p.baselineMinutes;
      if (rpm > p.floorRpm && rpm > p.factor * avg)
        out.push({
          subject: `key:${id}`,
          value: `${rpm} rpm`,
          message: `Key #${id} made ${rpm} requests in the last minute, over ${p.factor}× its ${p.baselineMinutes}-minute average (${avg.toFixed(1)}/min) and the floor of ${p.floorRpm}/min.`,
        });
    }
    return out;
  },

  async settlement_backlog(ctx, p) {
    // embedded mode: no Redis, settlements go straight to SQL, nothing to watch
    const { redis, redisNames } = ctx.deps;
    if (!redis || !redisNames) return [];
    const n = await redis.xlen(redisNames.settlementsStream);
    if (n <= p.thresholdEntries) return [];
    return [
      {
        subject: 'settlements',
        value: `${n} entries`,
        message: `${n} settlements are waiting in Redis to be written to the SQL database (threshold ${p.thresholdEntries}). The relays keep serving and buffer them while MySQL is down or the writes fail; check the database. Paid requests are refused once the buffer is full.`,
      },
    ];
  },

  async database_unreachable(ctx, p) {
    if (ctx.sqlDownSince === null) return [];
    const seconds = Math.floor((ctx.now - ctx.sqlDownSince) / 1000);
    if (seconds < p.seconds) return [];
    return [
      {
        subject: 'sql',
        value: `${seconds} s`,
        message: `The control plane has not reached the SQL database for ${seconds} s (since ${new Date(ctx.sqlDownSince).toISOString()}). Relays keep serving valid keys and buffer settlements in Redis; sign-in, top-ups and settings are unavailable.`,
      },
    ];
  },

  async sensitive_words(ctx, p) {
    const out: Condition[] = [];
    for (const [id, s] of ctx.traffic.sensitive(ctx.now - p.windowMinutes * MIN, ctx.now + 1))
      if (s.hits >= p.minHits)
        out.push({
          subject: `key:${id}`,
          value: `${s.hits} hits`,
          message: `Prompts of key #${id} (user #${s.userId}) matched the sensitive-word list ${s.hits} times in the last ${p.windowMinutes} min (${s.refused} refused): ${s.words.join(', ')}.`,
        });
    return out;
  },
};

/** A rule row's params with defaults filled in (a stored value the schema refuses reads as defaults). */
export function paramsOf<K extends RuleKind>(kind: K, json: string): RuleParams<K> {
  const schema = ruleParamSchemas[kind];
  let raw: unknown = {};
  try {
    raw = JSON.parse(json);
  } catch {
    raw = {};
  }
  const parsed = schema.safeParse(raw);
  return (parsed.success ? parsed.data : schema.parse({})) as RuleParams<K>;
}
