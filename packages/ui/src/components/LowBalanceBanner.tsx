import { A } from '@solidjs/router';
import { Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMoney } from '~/lib/money.ts';
import { trpc } from '~/lib/trpc.ts';

/** The Portal's low-balance notice: shown on every page while the balance is below the threshold. */
export function LowBalanceBanner() {
  const balance = createLoader(() => trpc.payments.balance.query());
  return (
    <Show when={balance.data()?.low ? balance.data() : undefined}>
      {(b) => (
        <div class="alert alert-error low-balance" data-testid="portal-low-balance">
          <span>
            {t('topup.lowBanner', {
              threshold: formatMoney(b().threshold, {
                quotaPerUnit: b().quotaPerUnit,
                currency: b().currency,
              }),
            })}
          </span>
          <A href="/portal/topup" class="btn btn-primary btn-sm">
            {t('nav.topup')}
          </A>
        </div>
      )}
    </Show>
  );
}
