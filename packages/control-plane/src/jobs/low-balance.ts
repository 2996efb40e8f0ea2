import { formatUnitsAsMoney } from '@tollgate/shared/quota-display.ts';
import type { ControlPlaneDeps } from '../deps.ts';
import { createMailer, type SendMail, smtpReady } from '../modules/payments/mailer.ts';
import { getSmtpConfig } from '../modules/payments/payments.settings.ts';
import { getSettings } from '../modules/settings/settings.service.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'settingsBox' | 'now' | 'logger' | 'cfg'>;

/**
 * The low-balance reminder (SPEC §6): a user whose balance is below their threshold (their own, or
 * the `low_balance_threshold` setting) gets one e-mail; `low_balance_notified_at` is claimed with a
 * conditional UPDATE before sending, so concurrent runs send it once. Back above the threshold, the
 * flag is cleared and the next fall sends again.
 */
export function createLowBalanceJob(deps: Deps, o: { send?: SendMail } = {}) {
  const send = o.send ?? createMailer(deps);
  return async function run(): Promise<{ sent: number; cleared: number }> {
    const settings = await getSettings(deps);
    const { db } = deps.db;
    const cleared = await db
      .updateTable('users')
      .set({ lowBalanceNotifiedAt: null })
      .where('lowBalanceNotifiedAt', 'is not', null)
      .where((eb) =>
        eb('balance', '>=', eb.fn.coalesce('lowBalanceThreshold', eb.val(settings.low_balance_threshold))),
      )
      .executeTakeFirst();
    if (!smtpReady(await getSmtpConfig(deps))) return { sent: 0, cleared: Number(cleared.numUpdatedRows) };
    const due = await db
      .selectFrom('users')
      .select(['id', 'email', 'balance', 'lowBalanceThreshold'])
      .where('status', '=', 'active')
      .where('lowBalanceNotifiedAt', 'is', null)
      .where((eb) => eb.fn.coalesce('lowBalanceThreshold', eb.val(settings.low_balance_threshold)), '>', 0)
      .where((eb) =>
        eb('balance', '<', eb.fn.coalesce('lowBalanceThreshold', eb.val(settings.low_balance_threshold))),
      )
      .limit(500)
      .execute();
    let sent = 0;
    const display = { quotaPerUnit: settings.quota_per_unit, currency: settings.display_currency };
    for (const u of due) {
      const now = deps.now();
      const claim = await db
        .updateTable('users')
        .set({ lowBalanceNotifiedAt: now })
        .where('id', '=', u.id)
        .where('lowBalanceNotifiedAt', 'is', null)
        .executeTakeFirst();
      if (Number(claim.numUpdatedRows) !== 1) continue;
      const limit = u.lowBalanceThreshold ?? settings.low_balance_threshold;
      const base = deps.cfg.site_public_url?.replace(/\/+$/, '');
      try {
        await send({
          to: u.email,
          subject: `${settings.site_name}: your balance is low`,
          text: [
            `Your ${settings.site_name} balance is ${formatUnitsAsMoney(Number(u.balance), display)}, below your reminder threshold of ${formatUnitsAsMoney(Number(limit), display)}.`,
            'Requests are refused once the balance reaches zero.',
            base ? `Top up: ${base}/portal/topup` : 'Top up in the Portal, under Top-up.',
            'You will not get this e-mail again until your balance is back above the threshold.',
          ].join('\n\n'),
        });
        sent++;
      } catch (err) {
        // not sent: release the claim so the next run tries again
        await db.updateTable('users').set({ lowBalanceNotifiedAt: null }).where('id', '=', u.id).execute();
        deps.logger.warn({ err, userId: u.id }, 'low-balance e-mail failed');
      }
    }
    return { sent, cleared: Number(cleared.numUpdatedRows) };
  };
}
