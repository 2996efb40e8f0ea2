import { Title } from '@solidjs/meta';
import { A, useSearchParams } from '@solidjs/router';
import { createSignal, Match, onCleanup, onMount, Show, Switch } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { t } from '~/i18n/index.ts';
import { formatMoney } from '~/lib/money.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { RouterOutputs } from '~/lib/types.ts';

type TopupState = RouterOutputs['payments']['topup'];

const POLL_MS = 1000;
const SLOW_AFTER_MS = 60_000;

/**
 * Where the hosted checkout returns to: shows "pending" and polls the top-up until the webhook has
 * credited it, then the new balance.
 */
export default function TopupReturnPage() {
  const [params] = useSearchParams();
  const [state, setState] = createSignal<TopupState>();
  const [display, setDisplay] = createSignal({ quotaPerUnit: 500_000, currency: 'USD' });
  const [error, setError] = createSignal<string>();
  const [slow, setSlow] = createSignal(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = Date.now();

  async function poll() {
    const id = Number(params.topup);
    if (!Number.isSafeInteger(id) || id <= 0) return setError(t('topup.return.missingId'));
    try {
      const s = await trpc.payments.topup.query({ id });
      setState(s);
      if (s.topup.status === 'pending') {
        setSlow(Date.now() - started > SLOW_AFTER_MS);
        timer = setTimeout(poll, POLL_MS);
      }
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  onMount(() => {
    void trpc.payments.balance
      .query()
      .then((b) => setDisplay({ quotaPerUnit: b.quotaPerUnit, currency: b.currency }));
    void poll();
  });
  onCleanup(() => clearTimeout(timer));

  const money = (units: number) => formatMoney(units, display());

  return (
    <>
      <Title>
        {t('topup.return.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('topup.return.title')} />
      <section class="card">
        <Show when={error()}>{(msg) => <div class="alert alert-error">{msg()}</div>}</Show>
        <Show when={state()} fallback={<p class="muted">{t('common.loading')}</p>}>
          {(s) => (
            <Switch>
              <Match when={s().topup.status === 'pending'}>
                <p data-testid="topup-status" data-status="pending">
                  {t('topup.return.pending')}
                </p>
                <Show when={slow()}>
                  <p class="muted">{t('topup.return.slow')}</p>
                </Show>
              </Match>
              <Match when={s().topup.status === 'paid'}>
                <p data-testid="topup-status" data-status="paid">
                  {t('topup.return.paid', { quota: money(s().topup.quota) })}
                </p>
                <p>
                  {t('topup.return.balance')}{' '}
                  <strong data-testid="topup-balance">{money(s().balance)}</strong>
                </p>
              </Match>
              <Match when={true}>
                <p data-testid="topup-status" data-status={s().topup.status}>
                  {t('topup.return.refunded')}
                </p>
              </Match>
            </Switch>
          )}
        </Show>
        <A href="/portal/topup" class="btn btn-ghost">
          {t('topup.return.back')}
        </A>
      </section>
    </>
  );
}
