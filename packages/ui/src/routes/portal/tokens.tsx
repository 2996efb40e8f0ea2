import { Title } from '@solidjs/meta';
import { A } from '@solidjs/router';
import type { DisplayCurrency } from '@tollgate/shared/currency.ts';
import { createMemo, createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { createRowRunner, DeleteButton, RowButton } from '~/components/RowActions.tsx';
import { TokenForm, type TokenOptions } from '~/components/TokenForm.tsx';
import { t } from '~/i18n/index.ts';
import { copyText } from '~/lib/clipboard.ts';
import { formatDate, formatDateTime } from '~/lib/format.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMoney } from '~/lib/money.ts';
import { formatRelative } from '~/lib/relative-time.ts';
import { quotaLeftShare, type TokenWarning, tokenWarnings } from '~/lib/token-health.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { TokenRow } from '~/lib/types.ts';
import '~/components/portal.css';

function warningText(w: TokenWarning): string {
  switch (w.kind) {
    case 'expired':
      return t('tokens.warn.expired');
    case 'expiring':
      return t('tokens.warn.expiring', { n: w.days });
    case 'exhausted':
      return t('tokens.warn.exhausted');
    case 'lowQuota':
      return t('tokens.warn.lowQuota', { n: w.percent });
  }
}

/** The user's API keys (SPEC §3): list, create, edit, reveal/copy, enable/disable, reset, delete. */
export default function TokensPage() {
  const flash = createFlash();
  const tokens = createLoader(() => trpc.tokens.list.query());
  const options = createLoader(() => trpc.tokens.options.query());
  const [revealed, setRevealed] = createSignal<Record<number, string>>({});
  const [copiedId, setCopiedId] = createSignal<number | 'new'>();
  const [busyId, setBusyId] = createSignal<number>();
  const [newKey, setNewKey] = createSignal<{ name: string; key: string; reset: boolean }>();
  const [editing, setEditing] = createSignal<TokenRow>();
  const [saving, setSaving] = createSignal(false);
  const [formKey, setFormKey] = createSignal(0);
  const now = () => Date.now();

  const money = () => {
    const o = options.data();
    return { quotaPerUnit: o?.quotaPerUnit ?? 500_000, currency: (o?.currency ?? 'USD') as DisplayCurrency };
  };

  const warned = createMemo(() =>
    (tokens.data() ?? [])
      .map((row) => ({ row, warnings: tokenWarnings(row, now()) }))
      .filter((x) => x.warnings.length > 0),
  );

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

  const runRow = createRowRunner({ flash, setBusy: setBusyId, reload: tokens.reload });
  const run = (row: TokenRow, action: () => Promise<void>, confirmText?: string) =>
    runRow(row.id, action, confirmText);

  const toggleStatus = (row: TokenRow) =>
    run(row, async () => {
      const status = row.status === 'enabled' ? 'disabled' : 'enabled';
      await trpc.tokens.setStatus.mutate({ id: row.id, status });
      flash.showSuccess(t(status === 'enabled' ? 'tokens.enabled' : 'tokens.disabled', { name: row.name }));
    });

  const remove = (row: TokenRow) =>
    run(
      row,
      async () => {
        await trpc.tokens.delete.mutate({ id: row.id });
        if (editing()?.id === row.id) setEditing(undefined);
        flash.showSuccess(t('tokens.deleted', { name: row.name }));
      },
      t('tokens.confirmDelete', { name: row.name }),
    );

  const reset = (row: TokenRow) =>
    run(
      row,
      async () => {
        const res = await trpc.tokens.reset.mutate({ id: row.id });
        const { [row.id]: _old, ...rest } = revealed();
        setRevealed(rest);
        setNewKey({ name: res.token.name, key: res.key, reset: true });
        flash.showSuccess(t('tokens.resetDone', { name: res.token.name }));
        window.scrollTo({ top: 0, behavior: 'smooth' });
      },
      t('tokens.confirmReset', { name: row.name }),
    );

  function startEdit(row: TokenRow) {
    setEditing(row);
    queueMicrotask(() =>
      document.querySelector('[data-testid="token-edit-card"]')?.scrollIntoView({ behavior: 'smooth' }),
    );
  }

  async function save(input: Parameters<Parameters<typeof TokenForm>[0]['onSubmit']>[0]) {
    setSaving(true);
    try {
      if ('create' in input) {
        const res = await trpc.tokens.create.mutate(input.create);
        setNewKey({ name: res.token.name, key: res.key, reset: false });
        flash.showSuccess(t('tokens.created', { name: res.token.name }));
        setFormKey(formKey() + 1);
      } else {
        if (Object.keys(input.update).length === 1) {
          setEditing(undefined);
          return flash.showSuccess(t('tokens.nothingChanged'));
        }
        const res = await trpc.tokens.update.mutate(input.update);
        setEditing(undefined);
        flash.showSuccess(t('tokens.updated', { name: res.name }));
      }
      await tokens.reload();
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <Title>
        {t('tokens.title')} · {t('app.name')}
      </Title>
      <PageHeader
        title={t('tokens.title')}
        subtitle={t('tokens.subtitle')}
        actions={
          <A href="/portal/docs" class="btn btn-secondary" data-testid="tokens-docs-link">
            {t('tokens.docsLink')}
          </A>
        }
      />
      <FlashMessages flash={flash} />

      <Show when={warned().length > 0}>
        <div class="alert alert-warn" role="status" data-testid="token-warning-banner">
          <div>
            <strong>{t('tokens.warn.banner', { n: warned().length })}</strong>
            <ul class="warn-list">
              <For each={warned()}>
                {(w) => (
                  <li>
                    <span class="cell-strong">{w.row.name}</span>: {w.warnings.map(warningText).join(' · ')}
                  </li>
                )}
              </For>
            </ul>
          </div>
        </div>
      </Show>

      <Show when={newKey()}>
        {(k) => (
          <div class="new-key" data-testid="token-new-key">
            <div class="new-key-head">
              <strong>{k().reset ? t('tokens.resetKeyTitle') : t('tokens.newKeyTitle')}</strong>
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
            <p class="small muted">{k().reset ? t('tokens.resetKeyHint') : t('tokens.newKeyHint')}</p>
          </div>
        )}
      </Show>

      <Show when={editing() && options.data()}>
        <section class="card card-accent" data-testid="token-edit-card">
          <h2>{t('tokens.editTitle', { name: editing()!.name })}</h2>
          <Show when={editing()} keyed>
            {(row) => (
              <TokenForm
                options={options.data() as TokenOptions}
                token={row}
                busy={saving()}
                onSubmit={save}
                onCancel={() => setEditing(undefined)}
                onInvalid={(m) => flash.showError(m)}
              />
            )}
          </Show>
        </section>
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
                <table class="table tokens-table">
                  <thead>
                    <tr>
                      <th>{t('tokens.col.name')}</th>
                      <th>{t('tokens.col.key')}</th>
                      <th>{t('tokens.col.status')}</th>
                      <th>{t('tokens.col.group')}</th>
                      <th>{t('tokens.col.quota')}</th>
                      <th>{t('tokens.col.expiry')}</th>
                      <th>{t('tokens.col.lastUsed')}</th>
                      <th class="col-actions">{t('common.actions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={rows()}>
                      {(row) => {
                        const warnings = () => tokenWarnings(row, now());
                        const share = () => quotaLeftShare(row);
                        return (
                          <tr
                            data-testid="token-row"
                            data-token-id={row.id}
                            classList={{ 'row-editing': editing()?.id === row.id }}
                          >
                            <td>
                              <div class="cell-strong">{row.name}</div>
                              <Show when={row.models}>
                                {(m) => <div class="small muted cell-sub">{m().join(', ')}</div>}
                              </Show>
                              <Show when={row.allowedIps || row.rpmLimit}>
                                <div class="small muted cell-sub">
                                  {[
                                    row.allowedIps ? t('tokens.ipCount', { n: row.allowedIps.length }) : '',
                                    row.rpmLimit ? t('tokens.rpmValue', { n: row.rpmLimit }) : '',
                                  ]
                                    .filter(Boolean)
                                    .join(' · ')}
                                </div>
                              </Show>
                              <div class="badge-row">
                                <For each={warnings().filter((w) => w.kind !== 'expired')}>
                                  {(w) => (
                                    <span class="badge badge-warn" data-testid="token-warning">
                                      {warningText(w)}
                                    </span>
                                  )}
                                </For>
                              </div>
                            </td>
                            <td class="nowrap">
                              <code
                                class="key-mask"
                                classList={{ revealed: Boolean(revealed()[row.id]) }}
                                data-testid="token-key"
                              >
                                {revealed()[row.id] ?? row.keyMask}
                              </code>
                              <div class="key-actions">
                                <RowButton variant="secondary" testid="token-copy" onClick={() => copy(row)}>
                                  {copiedId() === row.id ? t('common.copied') : t('common.copy')}
                                </RowButton>
                                <RowButton
                                  variant="ghost"
                                  testid="token-reveal"
                                  disabled={busyId() === row.id}
                                  onClick={() => toggleReveal(row)}
                                >
                                  {revealed()[row.id] ? t('tokens.hide') : t('tokens.reveal')}
                                </RowButton>
                              </div>
                            </td>
                            <td class="nowrap">
                              <Show
                                when={!warnings().some((w) => w.kind === 'expired')}
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
                            <td class="nowrap" data-testid="token-quota-cell">
                              <Show
                                when={!row.unlimitedQuota}
                                fallback={<span class="badge badge-info">{t('tokens.unlimited')}</span>}
                              >
                                {t('tokens.remaining', { n: formatMoney(row.remainQuota, money()) })}
                                <Show when={share() !== null}>
                                  <div class="quota-bar" aria-hidden="true">
                                    <span
                                      classList={{ low: (share() ?? 1) < 0.1 }}
                                      style={{ width: `${Math.round((share() ?? 0) * 100)}%` }}
                                    />
                                  </div>
                                </Show>
                              </Show>
                              <div class="small muted">
                                {t('tokens.usedQuota', { n: formatMoney(row.usedQuota, money()) })}
                              </div>
                            </td>
                            <td class="nowrap">{formatDate(row.expiresAt, 'never')}</td>
                            <td
                              class="nowrap"
                              data-testid="token-last-used"
                              title={formatDateTime(row.lastUsedAt)}
                            >
                              {formatRelative(row.lastUsedAt, now(), t('tokens.neverUsed'))}
                            </td>
                            <td class="col-actions">
                              <div class="row-actions">
                                <RowButton
                                  variant="ghost"
                                  testid="token-edit"
                                  disabled={busyId() === row.id || !options.data()}
                                  onClick={() => startEdit(row)}
                                >
                                  {t('common.edit')}
                                </RowButton>
                                <RowButton
                                  variant="ghost"
                                  testid="token-reset"
                                  disabled={busyId() === row.id}
                                  onClick={() => reset(row)}
                                >
                                  {t('tokens.reset')}
                                </RowButton>
                                <RowButton
                                  variant="ghost"
                                  testid="token-toggle"
                                  disabled={busyId() === row.id}
                                  onClick={() => toggleStatus(row)}
                                >
                                  {row.status === 'enabled' ? t('common.disable') : t('common.enable')}
                                </RowButton>
                                <DeleteButton
                                  testid="token-delete"
                                  disabled={busyId() === row.id}
                                  onDelete={() => remove(row)}
                                />
                              </div>
                            </td>
                          </tr>
                        );
                      }}
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
        <Show when={options.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
          {(o) => (
            <Show when={formKey() + 1} keyed>
              <TokenForm
                options={o()}
                busy={saving()}
                onSubmit={save}
                onInvalid={(m) => flash.showError(m)}
              />
            </Show>
          )}
        </Show>
      </section>
    </>
  );
}
