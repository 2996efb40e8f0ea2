import { insertedId } from '@tollgate/shared/db/index.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import type { RuleKind } from './alerts.schemas.ts';
import { type Condition, evaluators, paramsOf } from './conditions.ts';
import { type DeliveryRecord, defaultRetry, deliver, type RetryPolicy } from './notifications.service.ts';
import type { AlertMessage } from './notifiers.ts';
import { TrafficWindow } from './traffic-window.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'cfg' | 'now' | 'logger'>;

/** Alerts recorded by other modules (ruleId null) that a rule of the same kind forwards. */
const externalKinds: readonly RuleKind[] = ['payment_unknown'];

export interface AlertEngine {
  /** the relays' traffic, summed for the rules over traffic */
  traffic: TrafficWindow;
  /** one evaluation of every enabled rule: fire, repeat after the cooldown, resolve */
  evaluate(): Promise<{ fired: number; repeated: number; resolved: number }>;
  /** resolves when every notification sent so far has been delivered or given up (tests, shutdown) */
  idle(): Promise<void>;
}

/**
 * The alert evaluator (SPEC §7). For every enabled rule it asks the rule's condition which subjects
 * it holds for, then per subject: a new one fires (one `alert_events` row, notified once), one that
 * still holds is notified again at most once per cooldown, and an open one that no longer holds is
 * resolved (and notified). Notifications go out in the background: a slow or failing channel is
 * retried and recorded, and never holds up the evaluation.
 */
export function createAlertEngine(deps: Deps, o: { retry?: RetryPolicy } = {}): AlertEngine {
  const traffic = new TrafficWindow();
  const pending = new Set<Promise<unknown>>();
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

  const notify = (channelIds: number[], m: AlertMessage & { eventId: number }) => {
    if (channelIds.length === 0) return;
    const p = Promise.all(channelIds.map((id) => deliver(deps, id, m, o.retry ?? defaultRetry)))
      .then((records) => {
        for (const r of records)
          if (!r.ok)
            deps.logger.warn(
              { eventId: m.eventId, channel: r.channelId, error: r.error },
              'alert not delivered',
            );
        return record(m.eventId, records);
      })
      .catch((err: unknown) => deps.logger.warn({ err }, 'alert notification failed'))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  async function evaluate() {
    const now = deps.now();
    traffic.prune(now);
    const counts = { fired: 0, repeated: 0, resolved: 0 };
    const rules = await deps.db.db
      .selectFrom('alertRules')
      .select(['id', 'kind', 'name', 'enabled', 'params', 'cooldownSeconds', 'notificationChannelIds'])
      .orderBy('id')
      .execute();
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
          notify(channelIds, {
            ...base,
            state: 'fired',
            subject: e.subject,
            value: e.value,
            message: e.message,
            at: now,
            eventId: e.id,
          });
          counts.fired++;
        }
        continue;
      }
      const evaluator = evaluators[kind as Exclude<RuleKind, 'payment_unknown'>] as
        | ((ctx: Parameters<(typeof evaluators)['error_rate']>[0], p: unknown) => Promise<Condition[]>)
        | undefined;
      if (!evaluator) continue;
      let holding: Condition[];
      try {
        holding = await evaluator({ deps, traffic, now }, paramsOf(kind, rule.params));
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
          notify(channelIds, { ...msg, state: 'fired', eventId: insertedId(res) });
          counts.fired++;
        } else if (now - Number(e.lastNotifiedAt ?? e.firedAt) >= rule.cooldownSeconds * 1000) {
          await deps.db.db
            .updateTable('alertEvents')
            .set({ lastNotifiedAt: now, value: c.value.slice(0, 255), message: c.message.slice(0, 1000) })
            .where('id', '=', e.id)
            .execute();
          notify(channelIds, { ...msg, state: 'repeat', eventId: e.id });
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
        notify(channelIds, {
          ...base,
          state: 'resolved',
          subject: e.subject,
          value: null,
          message:
            kind === 'channel_auto_disabled'
              ? `Resolved: ${e.subject} is enabled again.`
              : `Resolved: the condition of "${rule.name}" no longer holds for ${e.subject}.`,
          at: now,
          eventId: e.id,
        });
        counts.resolved++;
      }
    }
    return counts;
  }

  return {
    traffic,
    evaluate,
    async idle() {
      while (pending.size > 0 || chains.size > 0) {
        await Promise.all([...pending]);
        await Promise.all([...chains.values()]);
      }
    },
  };
}
