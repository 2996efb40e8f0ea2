import { Title } from '@solidjs/meta';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { t } from '~/i18n/index.ts';
import { readAmount } from '~/lib/currency-input.ts';
import { formatDateTime, formatNumber } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMoney } from '~/lib/money.ts';
import { formatCents, readCents } from '~/lib/payments.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import '~/components/payments.css';

const STATUS_BADGE: Record<string, string> = {
  paid: 'badge-ok',
  pending: 'badge-plain',
  refunded: 'badge-off',
  partial_refund: 'badge-warn',
};

/** Top-up: balance, Lemon Squeezy checkout, redemption codes, reminder threshold, history. */
export default function TopupPage() {
  const flash = createFlash();
  const hydrated = useHydrated();
  const balance = createLoader(() => trpc.payments.balance.query());
  const options = createLoader(() => trpc.payments.options.query());
  const history = createLoader(() => trpc.payments.myTopups.query());
  const [chosen, setChosen] = createSignal<number>();
  const [custom, setCustom] = createSignal('');
  const [paying, setPaying] = createSignal(false);
  const [code, setCode] = createSignal('');
  const [redeeming, setRedeeming] = createSignal(false);
  const [threshold, setThreshold] = createSignal<string>();
  const [savingThreshold, setSavingThreshold] = createSignal(false);

  const display = () => {
    const b = balance.data();
    return { quotaPerUnit: b?.quotaPerUnit ?? 500_000, currency: b?.currency ?? 'USD' };
  };
  const units = (n: number) => formatMoney(n, display());

  const ownText = (own: number | null) => (own === null ? '' : String(own / display().quotaPerUnit));

  const amountCents = () => {
    const text = custom().trim();
    return text ? readCents(text) : chosen();
  };

  async function pay() {
    const o = options.data();
    const cents = amountCents();
    if (!o || cents === undefined) return flash.showError(t('topup.chooseAmount'));
    const offered = o.amounts.some((a) => a.cents === cents);
    if (!offered && (cents < o.minCents || cents > o.maxCents))
      return flash.showError(
        t('topup.outOfRange', {
          min: formatCents(o.minCents, o.currency),
          max: formatCents(o.maxCents, o.currency),
        }),
      );
    setPaying(true);
    try {
      const res = await trpc.payments.checkout.mutate({ amountCents: cents, origin: window.location.origin });
      window.location.assign(res.url);
    } catch (err) {
      flash.showError(errorMessage(err));
      setPaying(false);
    }
  }

  async function redeem(e: SubmitEvent) {
    e.preventDefault();
    if (!code().trim()) return;
    setRedeeming(true);
    try {
      const res = await trpc.codes.redeem.mutate({ code: code().trim() });
      flash.showSuccess(t('topup.redeemed', { amount: units(res.credited) }));
      setCode('');
      await Promise.all([balance.reload(), history.reload()]);
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setRedeeming(false);
    }
  }

  async function saveThreshold(e: SubmitEvent) {
    e.preventDefault();
    const text = (threshold() ?? '').trim();
    let value: number | null = null;
    if (text) {
      const r = readAmount(text, display() as Parameters<typeof readAmount>[1]);
      if (r.kind !== 'ok') return flash.showError(r.kind === 'error' ? r.message : t('topup.chooseAmount'));
      value = r.units;
    }
    setSavingThreshold(true);
    try {
      await trpc.payments.setThreshold.mutate({ threshold: value });
      flash.showSuccess(t('topup.reminderSaved'));
      await balance.reload();
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setSavingThreshold(false);
    }
  }

  return (
    <>
      <Title>
        {t('topup.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('topup.title')} subtitle={t('topup.subtitle')} />
      <FlashMessages flash={flash} />

      <Show when={balance.data()}>
        {(b) => (
          <>
            <Show when={b().low}>
              <div class="alert alert-error" data-testid="low-balance-banner">
                {t('topup.lowBanner', { threshold: units(b().threshold) })}
              </div>
            </Show>
            <section class="card balance-card">
              <span class="muted">{t('topup.balance')}</span>
              <strong class="balance-value" data-testid="topup-balance">
                {units(b().balance)}
              </strong>
            </section>
          </>
        )}
      </Show>

      <section class="card">
        <h2>{t('topup.buy')}</h2>
        <Show when={options.data()} fallback={<p class="muted">{t('common.loading')}</p>}>
          {(o) => (
            <Show
              when={o().enabled}
              fallback={
                <p class="muted" data-testid="topup-unavailable">
                  {t('topup.unavailable')}
                </p>
              }
            >
              <div class="amount-grid">
                <For each={o().amounts}>
                  {(a) => (
                    <button
                      type="button"
                      class={`amount-option${chosen() === a.cents && !custom().trim() ? ' selected' : ''}`}
                      data-testid={`topup-amount-${a.cents}`}
                      onClick={() => {
                        setChosen(a.cents);
                        setCustom('');
                      }}
                    >
                      <strong>{formatCents(a.cents, o().currency)}</strong>
                      <span class="small muted">{t('topup.gets', { quota: units(a.total) })}</span>
                      <Show when={a.bonus > 0}>
                        <span class="badge badge-accent">
                          {t('topup.bonus', { pct: Math.round((a.bonus * 100) / Math.max(1, a.base)) })}
                        </span>
                      </Show>
                    </button>
                  )}
                </For>
              </div>
              <Show when={o().allowCustomAmount}>
                <label class="field custom-amount">
                  <span>{t('topup.custom', { currency: o().currency })}</span>
                  <input
                    inputmode="decimal"
                    data-testid="topup-custom"
                    value={custom()}
                    onInput={(e) => setCustom(e.currentTarget.value)}
                  />
                  <small class="muted">
                    {t('topup.customHint', {
                      min: formatCents(o().minCents, o().currency),
                      max: formatCents(o().maxCents, o().currency),
                    })}
                  </small>
                </label>
              </Show>
              <div class="form-actions">
                <button
                  type="button"
                  class="btn btn-primary"
                  data-testid="topup-pay"
                  disabled={!hydrated() || paying() || amountCents() === undefined}
                  onClick={pay}
                >
                  {paying()
                    ? t('topup.redirecting')
                    : t('topup.pay', {
                        amount: amountCents() === undefined ? '' : formatCents(amountCents()!, o().currency),
                      })}
                </button>
              </div>
            </Show>
          )}
        </Show>
      </section>

      <div class="payments-columns">
        <section class="card">
          <h2>{t('topup.redeem')}</h2>
          <form class="form inline-form" onSubmit={redeem}>
            <input
              class="mono"
              data-testid="redeem-code"
              placeholder={t('topup.redeemPlaceholder')}
              value={code()}
              onInput={(e) => setCode(e.currentTarget.value)}
              autocomplete="off"
            />
            <button
              type="submit"
              class="btn btn-secondary"
              data-testid="redeem-submit"
              disabled={!hydrated() || redeeming()}
            >
              {t('topup.redeemSubmit')}
            </button>
          </form>
        </section>
        <section class="card">
          <h2>{t('topup.reminder')}</h2>
          <Show when={balance.data()}>
            {(b) => (
              <form class="form inline-form" onSubmit={saveThreshold}>
                <input
                  inputmode="decimal"
                  data-testid="reminder-threshold"
                  value={threshold() ?? ownText(b().ownThreshold)}
                  onInput={(e) => setThreshold(e.currentTarget.value)}
                />
                <button type="submit" class="btn btn-secondary" disabled={!hydrated() || savingThreshold()}>
                  {t('common.save')}
                </button>
              </form>
            )}
          </Show>
          <p class="small muted">
            {t('topup.reminderHint', { default: units(balance.data()?.threshold ?? 0) })}
          </p>
        </section>
      </div>

      <section class="card">
        <h2>{t('topup.history')}</h2>
        <Show when={(history.data()?.length ?? 0) > 0} fallback={<p class="muted">{t('topup.noHistory')}</p>}>
          <div class="table-wrap">
            <table class="table" data-testid="topup-history">
              <thead>
                <tr>
                  <th>{t('topup.col.date')}</th>
                  <th class="num">{t('topup.col.amount')}</th>
                  <th class="num">{t('topup.col.quota')}</th>
                  <th>{t('topup.col.status')}</th>
                </tr>
              </thead>
              <tbody>
                <For each={history.data()}>
                  {(row) => (
                    <tr>
                      <td class="nowrap">{formatDateTime(row.completedAt ?? row.createdAt)}</td>
                      <td class="num">{formatCents(row.moneyCents, row.currency)}</td>
                      <td class="num" title={formatNumber(row.quota)}>
                        {units(row.quota)}
                      </td>
                      <td>
                        <span class={`badge ${STATUS_BADGE[row.status] ?? 'badge-plain'}`}>
                          {t(`topup.status.${row.status}` as 'topup.status.paid')}
                        </span>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </section>
    </>
  );
}
