import { createSignal, For, Show } from 'solid-js';
import type { Flash } from '~/components/Flash.tsx';
import { t } from '~/i18n/index.ts';
import { type MoneySettings, money } from '~/lib/currency-input.ts';
import { formatDate, formatDateTime } from '~/lib/format.ts';
import { createLoader } from '~/lib/loader.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';

/** A user's keys as the operator sees them (masks only, read-only) and "disable all keys". */
export function UserKeys(props: { userId: number; money: MoneySettings; flash: Flash }) {
  const keys = createLoader(() => trpc.users.keys.query({ userId: props.userId }));
  const [busy, setBusy] = createSignal(false);
  const enabled = () => (keys.data() ?? []).filter((k) => k.status === 'enabled').length;

  async function disableAll() {
    if (!confirm(t('userDetail.keys.confirmDisableAll', { n: enabled() }))) return;
    setBusy(true);
    try {
      const res = await trpc.users.disableAllKeys.mutate({ userId: props.userId });
      props.flash.showSuccess(t('userDetail.keys.disabledAll', { n: res.disabled }));
    } catch (err) {
      props.flash.showError(errorMessage(err));
    } finally {
      setBusy(false);
      await keys.reload();
    }
  }

  return (
    <section class="card user-detail-wide" data-testid="user-keys-card">
      <div class="card-head-row">
        <h2>{t('userDetail.keys.title')}</h2>
        <button
          type="button"
          class="btn btn-danger-ghost btn-sm"
          data-testid="user-keys-disable-all"
          disabled={busy() || enabled() === 0}
          onClick={disableAll}
        >
          {t('userDetail.keys.disableAll')}
        </button>
      </div>
      <Show when={keys.error()}>{(msg) => <div class="alert alert-error">{msg()}</div>}</Show>
      <Show when={keys.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
        {(rows) => (
          <Show when={rows().length > 0} fallback={<p class="empty-state">{t('userDetail.keys.empty')}</p>}>
            <div class="table-wrap">
              <table class="table" data-testid="user-keys">
                <thead>
                  <tr>
                    <th>{t('userDetail.keys.col.name')}</th>
                    <th>{t('userDetail.keys.col.key')}</th>
                    <th>{t('userDetail.keys.col.status')}</th>
                    <th>{t('userDetail.keys.col.group')}</th>
                    <th class="num">{t('userDetail.keys.remaining')}</th>
                    <th class="num">{t('userDetail.keys.used')}</th>
                    <th>{t('userDetail.keys.col.expiry')}</th>
                    <th>{t('userDetail.keys.col.lastUsed')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={rows()}>
                    {(k) => (
                      <tr data-testid="user-key-row" data-key-id={k.id}>
                        <td class="cell-strong">{k.name}</td>
                        <td>
                          <code class="key-mask">{k.keyMask}</code>
                        </td>
                        <td>
                          <span
                            class={k.status === 'enabled' ? 'badge badge-ok' : 'badge badge-off'}
                            data-testid="user-key-status"
                          >
                            {k.status === 'enabled'
                              ? t('userDetail.keys.enabled')
                              : t('userDetail.keys.disabled')}
                          </span>
                        </td>
                        <td>{k.groupName ?? <span class="muted">{t('userDetail.keys.ownGroup')}</span>}</td>
                        <td class="num nowrap">
                          {k.unlimitedQuota
                            ? t('userDetail.keys.unlimited')
                            : money(k.remainQuota, props.money)}
                        </td>
                        <td class="num nowrap">{money(k.usedQuota, props.money)}</td>
                        <td class="nowrap">{formatDate(k.expiresAt, 'never')}</td>
                        <td class="nowrap">
                          {k.lastUsedAt ? formatDateTime(k.lastUsedAt) : t('common.never')}
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
  );
}
