import { createSignal, For, Show } from 'solid-js';
import type { Flash } from '~/components/Flash.tsx';
import { t } from '~/i18n/index.ts';
import { type AmountField, type MoneySettings, money, readAmount, unitsLabel } from '~/lib/currency-input.ts';
import { formatDateTime } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { ledgerKindLabel } from '~/lib/labels.ts';
import { createLoader } from '~/lib/loader.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import '~/components/config-pages.css';
import './user-detail.css';

/**
 * A user's balance: the current amount, an adjustment form (credit or deduct, an amount in the
 * display currency, a required reason) and the latest ledger entries with who made them.
 */
export function UserBalance(props: {
  userId: number;
  balance: number;
  money: MoneySettings;
  flash: Flash;
  onChanged: () => Promise<void>;
}) {
  const hydrated = useHydrated();
  const ledger = createLoader(() => trpc.users.ledger.query({ userId: props.userId, limit: 10 }));
  const [direction, setDirection] = createSignal<'credit' | 'debit'>('credit');
  const [amount, setAmount] = createSignal('');
  const [reason, setReason] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const parsed = () => readAmount(amount(), props.money);

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const a = parsed();
    if (a.kind !== 'ok' || a.units === 0)
      return props.flash.showError(a.kind === 'error' ? a.message : t('userDetail.balance.amountRequired'));
    if (!reason().trim()) return props.flash.showError(t('userDetail.balance.reasonRequired'));
    const units = direction() === 'credit' ? a.units : -a.units;
    setBusy(true);
    try {
      const res = await trpc.users.adjustBalance.mutate({
        userId: props.userId,
        amount: units,
        reason: reason().trim(),
      });
      props.flash.showSuccess(
        t('userDetail.balance.adjusted', {
          amount: money(units, props.money),
          balance: money(res.user.balance, props.money),
        }),
      );
      setAmount('');
      setReason('');
      await Promise.all([props.onChanged(), ledger.reload()]);
    } catch (err) {
      props.flash.showError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <section class="card" data-testid="user-balance-card">
        <h2>{t('userDetail.balance.title')}</h2>
        <p class="user-balance" data-testid="user-balance">
          {money(props.balance, props.money)}
        </p>
        <p class="muted small">{unitsLabel(props.balance)}</p>
        <form class="form" onSubmit={submit} novalidate>
          <div class="form-grid">
            <label class="field">
              <span>{t('userDetail.balance.direction')}</span>
              <select
                data-testid="balance-direction"
                value={direction()}
                onChange={(e) => setDirection(e.currentTarget.value as 'credit' | 'debit')}
              >
                <option value="credit">{t('userDetail.balance.credit')}</option>
                <option value="debit">{t('userDetail.balance.debit')}</option>
              </select>
            </label>
            <label class="field">
              <span>{t('userDetail.balance.amount', { currency: props.money.currency })}</span>
              <input
                type="text"
                inputmode="decimal"
                data-testid="balance-amount"
                placeholder="10.00"
                value={amount()}
                onInput={(e) => setAmount(e.currentTarget.value)}
              />
              <AmountHint field={parsed()} />
            </label>
            <label class="field span-all">
              <span>{t('userDetail.balance.reason')}</span>
              <input
                type="text"
                maxlength={500}
                data-testid="balance-reason"
                placeholder={t('userDetail.balance.reasonPlaceholder')}
                value={reason()}
                onInput={(e) => setReason(e.currentTarget.value)}
              />
            </label>
          </div>
          <div class="form-actions">
            <button
              type="submit"
              class="btn btn-primary"
              data-testid="balance-submit"
              disabled={busy() || !hydrated()}
            >
              {t('userDetail.balance.submit')}
            </button>
          </div>
        </form>
      </section>
      <section class="card user-detail-wide" data-testid="user-ledger-card">
        <h2>{t('userDetail.ledger.title')}</h2>
        <Show when={ledger.error()}>{(msg) => <div class="alert alert-error">{msg()}</div>}</Show>
        <Show when={ledger.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
          {(rows) => (
            <Show
              when={rows().length > 0}
              fallback={<p class="empty-state">{t('userDetail.ledger.empty')}</p>}
            >
              <div class="table-wrap">
                <table class="table" data-testid="user-ledger">
                  <thead>
                    <tr>
                      <th>{t('userDetail.ledger.when')}</th>
                      <th>{t('userDetail.ledger.kind')}</th>
                      <th class="num">{t('userDetail.ledger.amount')}</th>
                      <th>{t('userDetail.ledger.note')}</th>
                      <th>{t('userDetail.ledger.by')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={rows()}>
                      {(row) => (
                        <tr data-testid="ledger-row">
                          <td class="nowrap">{formatDateTime(row.createdAt)}</td>
                          <td>
                            <span class="badge badge-plain">{ledgerKindLabel(row.kind)}</span>
                          </td>
                          <td
                            class="num nowrap"
                            classList={{ 'amount-credit': row.amount > 0, 'amount-debit': row.amount < 0 }}
                          >
                            {row.amount > 0 ? '+' : ''}
                            {money(row.amount, props.money)}
                          </td>
                          <td>{row.note || <span class="muted">{t('common.none')}</span>}</td>
                          <td class="small">
                            {row.actorEmail ?? <span class="muted">{t('userDetail.ledger.system')}</span>}
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
            </Show>
          )}
        </Show>
      </section>
    </>
  );
}

/** Under the amount: what it is in quota units, or why it is not an amount. */
function AmountHint(props: { field: AmountField }) {
  const text = () => {
    const f = props.field;
    if (f.kind === 'error') return { cls: 'hint error', text: f.message };
    if (f.kind === 'ok') return { cls: 'hint', text: unitsLabel(f.units) };
    return { cls: 'hint', text: t('userDetail.balance.amountHint') };
  };
  return <small class={text().cls}>{text().text}</small>;
}
