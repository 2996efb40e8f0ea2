import { insertedId } from '@tollgate/shared/db/index.ts';
import { isDbUnavailable } from '@tollgate/shared/db/unavailable.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import { outageRuleKinds, type RuleKind } from './alerts.schemas.ts';
import { type Condition, type ConditionContext, evaluators, paramsOf } from './conditions.ts';
import {
  channelGone,
  type DeliveryRecord,
  type DeliverySettings,
  defaultRetry,
  deliver,
  deliverTo,
  type LoadedNotifier,
  loadDeliverySettings,
  loadNotifiers,
  type RetryPolicy,
} from './notifications.service.ts';
import type { AlertMessage } from './notifiers.ts';
import { TrafficWindow } from './traffic-window.ts';

/** `redis` (production mode) for the rules over Redis (settlement backlog). */
type Deps = Pick<ControlPlaneDeps, 'db' | 'cfg' | 'now' | 'logger'> &
  Partial<Pick<ControlPlaneDeps, 'redis' | 'redisNames'>>;

interface RuleRow {
  id: number;
  kind: string;
  name: string;
  enabled: number;
  params: string;
  cooldownSeconds: number;
  notificationChannelIds: string;
}

/** An alert raised while SQL was unreachable: kept here until its `alert_events` row can be written. */
interface HeldEvent {
  ruleId: number;
  kind: RuleKind;
  subject: string;
  value: string;
  message: string;
  firedAt: number;
  lastNotifiedAt: number;
  resolvedAt: number | null;
  deliveries: DeliveryRecord[];
  /** the row's id once written */
  id?: number;
}

/** At most this many alerts are held in memory during an outage (the oldest are dropped, logged). */
const MAX_HELD = 1_000;

/** Alerts recorded by other modules (ruleId null) that a rule of the same kind forwards. */
const externalKinds: readonly RuleKind[] = ['payment_unknown'];

export interface AlertEngine {
  /** the relays' traffic, summed for the rules over traffic */
  traffic: TrafficWindow;
  /** one evaluation of every enabled rule: fire, repeat after the cooldown, resolve */
  evaluate(): Promise<{ fired: number; repeated: number; resolved: number }>;
  /** resolves when every notification sent so far has been delivered or given up (tests, shutdown) */
  idle(): Promise<void>;
  /** since when the engine has not reached SQL (epoch ms), null while it does */
  sqlDownSince(): number | null;
  /** alerts raised while SQL was unreachable whose rows are not written yet */
  heldEvents(): number;
}

/**
 * The alert evaluator (SPEC §7). For every enabled rule it asks the rule's condition which subjects
 * it holds for, then per subject: a new one fires (one `alert_events` row, notified once), one that
 * still holds is notified again at most once per cooldown, and an open one that no longer holds is
 * resolved (and notified). Notifications go out in the background: a slow or failing channel is
 * retried and recorded, and never holds up the evaluation.
 *
 * While the SQL database cannot be reached, the engine keeps working from what it loaded last (the
 * rules, the notification channels and their secrets, the delivery settings, which alerts were
 * open): the rules that need no SQL (settlement backlog in Redis, database unreachable) still fire,
 * repeat and resolve, and their notifications go out. Those alerts are held in memory and written to
 * `alert_events` (with their deliveries) as soon as SQL answers again.
 */
export function createAlertEngine(deps: Deps, o: { retry?: RetryPolicy } = {}): AlertEngine {
  const traffic = new TrafficWindow();
  const pending = new Set<Promise<unknown>>();
  /** what the last evaluation with SQL loaded: used while SQL is down */
  const cache = {
    rules: undefined as RuleRow[] | undefined,
    /** subjects with an open alert (SQL) per rule */
    open: new Map<number, Set<string>>(),
    notifiers: new Map<number, LoadedNotifier>(),
    settings: undefined as DeliverySettings | undefined,
  };
  let sqlDownSince: number | null = null;
  const held: HeldEvent[] = [];
  /** deliveries are appended to an event's row one at a time */
  const chains = new Map<number, Promise<void>>();

  const record = (eventId: number, records: DeliveryRecord[]) => {
    const prev = chains.get(eventId) ?? Promise.resolve();
    const next = prev
      .then(async () => {
        const row = await deps.db.db
          .selectFrom('alertEvents')
          .select('deliveries')
          .where('id', '=', eventId)
          .executeTakeFirst();
        const list = row?.deliveries ? (JSON.parse(row.deliveries) as DeliveryRecord[]) : [];
        // keep the row bounded: the newest 50 deliveries
        const all = list.concat(records).slice(-50);
        await deps.db.db
          .updateTable('alertEvents')
          .set({ deliveries: JSON.stringify(all) })
          .where('id', '=', eventId)
          .execute();
      })
      .catch((err: unknown) => deps.logger.warn({ err, eventId }, 'cannot record alert deliveries'))
      .finally(() => {
        if (chains.get(eventId) === next) chains.delete(eventId);
      });
    chains.set(eventId, next);
    return next;
  };

  /** deliveries of a held alert stay with it until its row exists */
  const recordTo = (target: number | HeldEvent, records: DeliveryRecord[]) => {
    if (typeof target === 'number') return record(target, records);
    if (target.id !== undefined) return record(target.id, records);
    target.deliveries = target.deliveries.concat(records).slice(-50);
    return Promise.resolve();
  };

  /** one delivery from the cached channel (no SQL needed); a channel not loaded is read as before */
  const send = (id: number, m: AlertMessage, retry: RetryPolicy) => {
    const channel = cache.notifiers.get(id);
    if (channel && cache.settings) return deliverTo(deps, channel, cache.settings, m, retry);
    if (sqlDownSince !== null) return Promise.resolve(channelGone(deps, id, m));
    return deliver(deps, id, m, retry);
  };

  const notify = (channelIds: number[], m: AlertMessage, target: number | HeldEvent) => {
    if (channelIds.length === 0) return;
    const p = Promise.all(channelIds.map((id) => send(id, m, o.retry ?? defaultRetry)))
      .then((records) => {
        for (const r of records)
          if (!r.ok)
            deps.logger.warn(
              { eventId: m.eventId, channel: r.channelId, error: r.error },
              'alert not delivered',
            );
        return recordTo(target, records);
      })
      .catch((err: unknown) => deps.logger.warn({ err }, 'alert notification failed'))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  type Evaluate = (ctx: ConditionContext, p: unknown) => Promise<Condition[]>;
  const evaluatorOf = (kind: RuleKind) =>
    evaluators[kind as Exclude<RuleKind, 'payment_unknown'>] as Evaluate | undefined;

  /** Writes the alerts held during an outage (oldest first), with the deliveries made meanwhile. */
  async function writeHeld() {
    while (held.length > 0) {
      const h = held[0]!;
      const written = h.deliveries.length;
      try {
        const res = await deps.db.db
          .insertInto('alertEvents')
          .values({
            ruleId: h.ruleId,
            kind: h.kind,
            subject: h.subject.slice(0, 128),
            state: h.resolvedAt === null ? 'fired' : 'resolved',
            value: h.value.slice(0, 255),
            message: h.message.slice(0, 1000),
            firedAt: h.firedAt,
            resolvedAt: h.resolvedAt,
            lastNotifiedAt: h.lastNotifiedAt,
            deliveries: JSON.stringify(h.deliveries),
          })
          .executeTakeFirstOrThrow();
        h.id = insertedId(res);
      } catch (err) {
        if (isDbUnavailable(err)) throw err;
        deps.logger.warn({ err, ruleId: h.ruleId, subject: h.subject }, 'cannot write a held alert; dropped');
      }
      held.shift();
      // deliveries that finished while the row was being written
      if (h.id !== undefined && h.deliveries.length > written) void record(h.id, h.deliveries.slice(written));
    }
  }

  /**
   * One evaluation while SQL cannot be reached: the rules loaded last whose condition needs no SQL.
   * An alert open in SQL since before the outage is left as it is (reconciled once SQL is back).
   */
  async function evaluateOffline(now: number, err: unknown) {
    const counts = { fired: 0, repeated: 0, resolved: 0 };
    if (sqlDownSince === null) {
      sqlDownSince = now;
      deps.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'alerts: the SQL database cannot be reached; the outage rules run from the rules loaded last',
      );
    }
    for (const rule of cache.rules ?? []) {
      const kind = rule.kind as RuleKind;
      if (!rule.enabled || !(outageRuleKinds as readonly string[]).includes(kind)) continue;
      const evaluator = evaluatorOf(kind);
      if (!evaluator) continue;
      let holding: Condition[];
      try {
        holding = await evaluator({ deps, traffic, now, sqlDownSince }, paramsOf(kind, rule.params));
      } catch (e) {
        deps.logger.warn({ err: e, ruleId: rule.id }, 'alert rule evaluation failed');
        continue;
      }
      const channelIds = JSON.parse(rule.notificationChannelIds) as number[];
      const base = { ruleId: rule.id, ruleName: rule.name, kind };
      const openInSql = cache.open.get(rule.id) ?? new Set<string>();
      const mine = held.filter((h) => h.ruleId === rule.id && h.resolvedAt === null);
      const mineBySubject = new Map(mine.map((h) => [h.subject, h]));
      const bySubject = new Map(holding.map((c) => [c.subject, c]));
      for (const c of holding) {
        if (openInSql.has(c.subject)) continue;
        const h = mineBySubject.get(c.subject);
        const msg = {
          ...base,
          subject: c.subject,
          value: c.value,
          message: c.message,
          at: now,
          eventId: null,
        };
        if (!h) {
          const ev: HeldEvent = {
            ruleId: rule.id,
            kind,
            subject: c.subject,
            value: c.value,
            message: c.message,
            firedAt: now,
            lastNotifiedAt: now,
            resolvedAt: null,
            deliveries: [],
          };
          held.push(ev);
          if (held.length > MAX_HELD) {
            const dropped = held.shift()!;
            deps.logger.warn(
              { ruleId: dropped.ruleId, subject: dropped.subject },
              'too many held alerts; oldest dropped',
            );
          }
          notify(channelIds, { ...msg, state: 'fired' }, ev);
          counts.fired++;
        } else if (now - h.lastNotifiedAt >= rule.cooldownSeconds * 1000) {
          h.lastNotifiedAt = now;
          h.value = c.value;
          h.message = c.message;
          notify(channelIds, { ...msg, state: 'repeat' }, h);
          counts.repeated++;
        }
      }
      for (const h of mine) {
        if (bySubject.has(h.subject)) continue;
        h.resolvedAt = now;
        notify(
          channelIds,
          {
            ...base,
            state: 'resolved',
            subject: h.subject,
            value: null,
            message: resolvedMessage(kind, rule.name, h.subject),
            at: now,
            eventId: null,
          },
          h,
        );
        counts.resolved++;
      }
    }
    return counts;
  }

  async function evaluate() {
    const now = deps.now();
    traffic.prune(now);
    const counts = { fired: 0, repeated: 0, resolved: 0 };
    let rules: RuleRow[];
    try {
      rules = await deps.db.db
        .selectFrom('alertRules')
        .select(['id', 'kind', 'name', 'enabled', 'params', 'cooldownSeconds', 'notificationChannelIds'])
        .orderBy('id')
        .execute();
      await writeHeld();
      cache.notifiers = await loadNotifiers(deps);
      cache.settings = await loadDeliverySettings(deps);
    } catch (err) {
      if (!isDbUnavailable(err)) throw err;
      return evaluateOffline(now, err);
    }
    if (sqlDownSince !== null)
      deps.logger.warn(
        `alerts: the SQL database answers again after ${Math.round((now - sqlDownSince) / 1000)} s`,
      );
    sqlDownSince = null;
    cache.rules = rules;
    for (const rule of rules) {
      const kind = rule.kind as RuleKind;
      const channelIds = JSON.parse(rule.notificationChannelIds) as number[];
      const base = { ruleId: rule.id, ruleName: rule.name, kind };
      const open = await deps.db.db
        .selectFrom('alertEvents')
        .select(['id', 'subject', 'lastNotifiedAt', 'firedAt'])
        .where('ruleId', '=', rule.id)
        .where('state', '=', 'fired')
        .execute();
      cache.open.set(rule.id, new Set(open.map((e) => e.subject)));
      if (!rule.enabled) {
        // a rule switched off closes its open alerts quietly
        if (open.length)
          await deps.db.db
            .updateTable('alertEvents')
            .set({ state: 'resolved', resolvedAt: now })
            .where(
              'id',
              'in',
              open.map((e) => e.id),
            )
            .execute();
        continue;
      }
      if (externalKinds.includes(kind)) {
        const fresh = await deps.db.db
          .selectFrom('alertEvents')
          .select(['id', 'subject', 'value', 'message'])
          .where('ruleId', 'is', null)
          .where('kind', '=', kind)
          .where('lastNotifiedAt', 'is', null)
          .execute();
        for (const e of fresh) {
          await deps.db.db
            .updateTable('alertEvents')
            .set({ ruleId: rule.id, lastNotifiedAt: now })
            .where('id', '=', e.id)
            .execute();
          notify(
            channelIds,
            {
              ...base,
              state: 'fired',
              subject: e.subject,
              value: e.value,
              message: e.message,
              at: now,
              eventId: e.id,
            },
            e.id,
          );
          counts.fired++;
        }
        continue;
      }
      const evaluator = evaluatorOf(kind);
      if (!evaluator) continue;
      let holding: Condition[];
      try {
        holding = await evaluator({ deps, traffic, now, sqlDownSince }, paramsOf(kind, rule.params));
      } catch (err) {
        deps.logger.warn({ err, ruleId: rule.id }, 'alert rule evaluation failed');
        continue;
      }
      const bySubject = new Map(holding.map((c) => [c.subject, c]));
      const openBySubject = new Map(open.map((e) => [e.subject, e]));
      for (const c of holding) {
        const e = openBySubject.get(c.subject);
        const msg = { ...base, subject: c.subject, value: c.value, message: c.message, at: now };
        if (!e) {
          const res = await deps.db.db
            .insertInto('alertEvents')
            .values({
              ruleId: rule.id,
              kind,
              subject: c.subject.slice(0, 128),
              state: 'fired',
              value: c.value.slice(0, 255),
              message: c.message.slice(0, 1000),
              firedAt: now,
              lastNotifiedAt: now,
            })
            .executeTakeFirstOrThrow();
          const eventId = insertedId(res);
          notify(channelIds, { ...msg, state: 'fired', eventId }, eventId);
          counts.fired++;
        } else if (now - Number(e.lastNotifiedAt ?? e.firedAt) >= rule.cooldownSeconds * 1000) {
          await deps.db.db
            .updateTable('alertEvents')
            .set({ lastNotifiedAt: now, value: c.value.slice(0, 255), message: c.message.slice(0, 1000) })
            .where('id', '=', e.id)
            .execute();
          notify(channelIds, { ...msg, state: 'repeat', eventId: e.id }, e.id);
          counts.repeated++;
        }
      }
      for (const e of open) {
        if (bySubject.has(e.subject)) continue;
        await deps.db.db
          .updateTable('alertEvents')
          .set({ state: 'resolved', resolvedAt: now })
          .where('id', '=', e.id)
          .execute();
        notify(
          channelIds,
          {
            ...base,
            state: 'resolved',
            subject: e.subject,
            value: null,
            message: resolvedMessage(kind, rule.name, e.subject),
            at: now,
            eventId: e.id,
          },
          e.id,
        );
        counts.resolved++;
      }
    }
    return counts;
  }

  return {
    traffic,
    evaluate,
    sqlDownSince: () => sqlDownSince,
    heldEvents: () => held.length,
    async idle() {
      while (pending.size > 0 || chains.size > 0) {
        await Promise.all([...pending]);
        await Promise.all([...chains.values()]);
      }
    },
  };
}

function resolvedMessage(kind: RuleKind, ruleName: string, subject: string): string {
  if (kind === 'channel_auto_disabled') return `Resolved: ${subject} is enabled again.`;
  if (kind === 'database_unreachable') return 'Resolved: the control plane reaches the SQL database again.';
  return `Resolved: the condition of "${ruleName}" no longer holds for ${subject}.`;
}
