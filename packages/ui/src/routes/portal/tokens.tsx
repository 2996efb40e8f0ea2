import { Title } from '@solidjs/meta';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { t } from '~/i18n/index.ts';
import { copyText } from '~/lib/clipboard.ts';
import { formatDate, formatNumber, splitList } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { TokenRow } from '~/lib/types.ts';

const tokenNamePattern = /^[\p{L}\p{N} _.-]{1,64}$/u;

export default function TokensPage() {
  const flash = createFlash();
  const tokens = createLoader(() => trpc.tokens.list.query());
  const [revealed, setRevealed] = createSignal<Record<number, string>>({});
  const [copiedId, setCopiedId] = createSignal<number | 'new'>();
  const [busyId, setBusyId] = createSignal<number>();
  const [newKey, setNewKey] = createSignal<{ name: string; key: string }>();

  // create form
  const [name, setName] = createSignal('');
  const [unlimited, setUnlimited] = createSignal(true);
  const [quota, setQuota] = createSignal('0');
  const [expiry, setExpiry] = createSignal('');
  const [models, setModels] = createSignal('');
  const [creating, setCreating] = createSignal(false);
  const hydrated = useHydrated();

  let copiedTimer: ReturnType<typeof setTimeout> | undefined;
  function markCopied(id: number | 'new') {
    clearTimeout(copiedTimer);
    setCopiedId(id);
    copiedTimer = setTimeout(() => setCopiedId(undefined), 2000);
  }

  async function keyOf(row: TokenRow): Promise<string> {
    const known = revealed()[row.id];
    if (known) return known;
    const { key } = await trpc.tokens.reveal.mutate({ id: row.id });
    return key;
  }

  async function copy(row: TokenRow) {
    try {
      const key = await keyOf(row);
      try {
        await copyText(key);
      } catch {
        return flash.showError(t('tokens.copyFailed'));
      }
      markCopied(row.id);
    } catch (err) {
      flash.showError(errorMessage(err));
    }
  }

  async function copyNew() {
    const k = newKey();
    if (!k) return;
    try {
      await copyText(k.key);
      markCopied('new');
    } catch {
      flash.showError(t('tokens.copyFailed'));
    }
  }

  async function toggleReveal(row: TokenRow) {
    if (revealed()[row.id]) {
      const { [row.id]: _gone, ...rest } = revealed();
      setRevealed(rest);
      return;
    }
    setBusyId(row.id);
    try {
      const key = await keyOf(row);
      setRevealed({ ...revealed(), [row.id]: key });
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setBusyId(undefined);
    }
  }

  async function toggleStatus(row: TokenRow) {
    const status = row.status === 'enabled' ? 'disabled' : 'enabled';
    setBusyId(row.id);
    try {
      await trpc.tokens.setStatus.mutate({ id: row.id, status });
      flash.showSuccess(t(status === 'enabled' ? 'tokens.enabled' : 'tokens.disabled', { name: row.name }));
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setBusyId(undefined);
      await tokens.reload();
    }
  }

  async function remove(row: TokenRow) {
    if (!confirm(t('tokens.confirmDelete', { name: row.name }))) return;
    setBusyId(row.id);
    try {
      await trpc.tokens.delete.mutate({ id: row.id });
      flash.showSuccess(t('tokens.deleted', { name: row.name }));
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setBusyId(undefined);
      await tokens.reload();
    }
  }

  function validate(): string | undefined {
    if (!name().trim()) return t('validation.nameRequired');
    if (!tokenNamePattern.test(name().trim())) return t('validation.nameInvalid');
    if (!unlimited() && !/^\d+$/.test(quota().trim())) return t('validation.quotaInvalid');
    if (expiry() && expiryMs(expiry()) <= Date.now()) return t('validation.dateInvalid');
    return undefined;
  }

  /** The end of the chosen day, local time. */
  function expiryMs(date: string): number {
    return new Date(`${date}T23:59:59`).getTime();
  }

  async function create(e: SubmitEvent) {
    e.preventDefault();
    const invalid = validate();
    if (invalid) return flash.showError(invalid);
    setCreating(true);
    try {
      const allowed = splitList(models());
      const res = await trpc.tokens.create.mutate({
        name: name().trim(),
        unlimitedQuota: unlimited(),
        remainQuota: unlimited() ? 0 : Number(quota().trim()),
        expiresAt: expiry() ? expiryMs(expiry()) : null,
        models: allowed.length ? allowed : null,
      });
      setNewKey({ name: res.token.name, key: res.key });
      flash.showSuccess(t('tokens.created', { name: res.token.name }));
      setName('');
      setUnlimited(true);
      setQuota('0');
      setExpiry('');
      setModels('');
      await tokens.reload();
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setCreating(false);
    }
  }

  const isExpired = (row: TokenRow) => row.expiresAt !== null && row.expiresAt <= Date.now();

  return (
    <>
      <Title>
        {t('tokens.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('tokens.title')} subtitle={t('tokens.subtitle')} />
      <FlashMessages flash={flash} />

      <Show when={newKey()}>
        {(k) => (
          <div class="new-key" data-testid="token-new-key">
            <div class="new-key-head">
              <strong>{t('tokens.newKeyTitle')}</strong>
              <span class="muted">· {k().name}</span>
            </div>
            <div class="new-key-row">
              <code class="new-key-value" data-testid="token-new-key-value">
                {k().key}
              </code>
              <button
                type="button"
                class="btn btn-primary btn-sm"
                data-testid="token-new-key-copy"
                onClick={copyNew}
              >
                {copiedId() === 'new' ? t('common.copied') : t('common.copy')}
              </button>
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => setNewKey(undefined)}>
                {t('tokens.hideNewKey')}
              </button>
            </div>
            <p class="small muted">{t('tokens.newKeyHint')}</p>
          </div>
        )}
      </Show>

      <section class="card">
        <Show when={tokens.error()}>
          {(msg) => (
            <div class="alert alert-error" data-testid="error-message">
              <span>{msg()}</span>
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => tokens.reload()}>
                {t('common.retry')}
              </button>
            </div>
          )}
        </Show>
        <Show when={tokens.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
          {(rows) => (
            <Show
              when={rows().length > 0}
              fallback={
                <p class="empty-state" data-testid="token-empty">
                  {t('tokens.empty')}
                </p>
              }
            >
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th>{t('tokens.col.name')}</th>
                      <th>{t('tokens.col.key')}</th>
                      <th>{t('tokens.col.status')}</th>
                      <th>{t('tokens.col.group')}</th>
                      <th>{t('tokens.col.quota')}</th>
                      <th>{t('tokens.col.expiry')}</th>
                      <th>{t('tokens.col.created')}</th>
                      <th class="col-actions">{t('common.actions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={rows()}>
                      {(row) => (
                        <tr data-testid="token-row" data-token-id={row.id}>
                          <td>
                            <div class="cell-strong">{row.name}</div>
                            <Show when={row.models}>
                              {(m) => <div class="small muted cell-sub">{m().join(', ')}</div>}
                            </Show>
                          </td>
                          <td class="nowrap">
                            <code
                              class="key-mask"
                              classList={{ revealed: Boolean(revealed()[row.id]) }}
                              data-testid="token-key"
                            >
                              {revealed()[row.id] ?? row.keyMask}
                            </code>
                          </td>
                          <td class="nowrap">
                            <Show
                              when={!isExpired(row)}
                              fallback={<span class="badge badge-warn">{t('tokens.status.expired')}</span>}
                            >
                              <span
                                class={row.status === 'enabled' ? 'badge badge-ok' : 'badge badge-off'}
                                data-testid="token-status"
                              >
                                {t(
                                  row.status === 'enabled'
                                    ? 'tokens.status.enabled'
                                    : 'tokens.status.disabled',
                                )}
                              </span>
                            </Show>
                          </td>
                          <td class="nowrap">
                            {row.groupName ?? <span class="muted">{t('tokens.groupDefault')}</span>}
                          </td>
                          <td class="nowrap">
                            <Show
                              when={!row.unlimitedQuota}
                              fallback={<span class="badge badge-info">{t('tokens.unlimited')}</span>}
                            >
                              {t('tokens.remaining', { n: formatNumber(row.remainQuota) })}
                            </Show>
                            <div class="small muted">
                              {t('tokens.usedQuota', { n: formatNumber(row.usedQuota) })}
                            </div>
                          </td>
                          <td class="nowrap">{formatDate(row.expiresAt, 'never')}</td>
                          <td class="nowrap">{formatDate(row.createdAt)}</td>
                          <td class="col-actions">
                            <div class="row-actions">
                              <button
                                type="button"
                                class="btn btn-secondary btn-sm"
                                data-testid="token-copy"
                                onClick={() => copy(row)}
                              >
                                {copiedId() === row.id ? t('common.copied') : t('common.copy')}
                              </button>
                              <button
                                type="button"
                                class="btn btn-ghost btn-sm"
                                data-testid="token-reveal"
                                disabled={busyId() === row.id}
                                onClick={() => toggleReveal(row)}
                              >
                                {revealed()[row.id] ? t('tokens.hide') : t('tokens.reveal')}
                              </button>
                              <button
                                type="button"
                                class="btn btn-ghost btn-sm"
                                data-testid="token-toggle"
                                disabled={busyId() === row.id}
                                onClick={() => toggleStatus(row)}
                              >
                                {row.status === 'enabled' ? t('common.disable') : t('common.enable')}
                              </button>
                              <button
                                type="button"
                                class="btn btn-danger-ghost btn-sm"
                                data-testid="token-delete"
                                disabled={busyId() === row.id}
                                onClick={() => remove(row)}
                              >
                                {t('common.delete')}
                              </button>
                            </div>
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

      <section class="card">
        <h2>{t('tokens.createTitle')}</h2>
        <form class="form form-grid" onSubmit={create} novalidate>
          <label class="field">
            <span>{t('tokens.field.name')}</span>
            <input
              type="text"
              data-testid="token-name"
              placeholder={t('tokens.field.namePlaceholder')}
              value={name()}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('tokens.field.expiry')}</span>
            <input
              type="date"
              data-testid="token-expiry"
              value={expiry()}
              onInput={(e) => setExpiry(e.currentTarget.value)}
            />
          </label>
          <div class="field">
            <label class="check">
              <input
                type="checkbox"
                data-testid="token-unlimited"
                checked={unlimited()}
                onChange={(e) => setUnlimited(e.currentTarget.checked)}
              />
              <span>{t('tokens.field.unlimited')}</span>
            </label>
            <Show when={!unlimited()}>
              <label class="field nested">
                <span>{t('tokens.field.quota')}</span>
                <input
                  type="number"
                  min="0"
                  step="1"
                  data-testid="token-quota"
                  value={quota()}
                  onInput={(e) => setQuota(e.currentTarget.value)}
                />
              </label>
            </Show>
          </div>
          <label class="field">
            <span>{t('tokens.field.models')}</span>
            <input
              type="text"
              data-testid="token-models"
              placeholder={t('tokens.field.modelsPlaceholder')}
              value={models()}
              onInput={(e) => setModels(e.currentTarget.value)}
            />
          </label>
          <div class="form-actions span-all">
            <button
              type="submit"
              class="btn btn-primary"
              data-testid="token-create"
              disabled={creating() || !hydrated()}
            >
              {creating() ? t('tokens.creating') : t('tokens.submit')}
            </button>
          </div>
        </form>
      </section>
    </>
  );
}
