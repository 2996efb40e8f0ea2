import { Title } from '@solidjs/meta';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { type ChannelCreateInput, ChannelForm, type ChannelFormValues } from '~/components/ChannelForm.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import {
  createEditPanel,
  createRowRunner,
  DeleteButton,
  NewButton,
  PanelForm,
  RowButton,
} from '~/components/RowActions.tsx';
import { type MessageKey, t } from '~/i18n/index.ts';
import { formatDateTime, formatTime, numberFormat } from '~/lib/format.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMs } from '~/lib/request-logs.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { ChannelRow } from '~/lib/types.ts';

/** An upstream balance in cents as a plain amount in the page's language ("1,234.50"). */
const formatCentsPlain = (cents: number) =>
  numberFormat({ minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(cents / 100);

const statusClass: Record<ChannelRow['status'], string> = {
  enabled: 'badge badge-ok',
  manual_disabled: 'badge badge-off',
  auto_disabled: 'badge badge-warn',
};

export default function ChannelsPage() {
  const flash = createFlash();
  const channels = createLoader(() => trpc.channels.list.query());
  const panel = createEditPanel<ChannelRow>({ flash, reload: channels.reload });
  const { editing, setEditing, saving, formRev } = panel;
  const [busyId, setBusyId] = createSignal<number>();
  const runRow = createRowRunner({ flash, setBusy: setBusyId, reload: channels.reload });

  const startEdit = panel.startEdit;

  function save(values: ChannelFormValues) {
    const current = editing();
    return panel.save(async () => {
      if (current) {
        const row = await trpc.channels.update.mutate({ id: current.id, ...values });
        flash.showSuccess(t('channels.updated', { name: row.name }));
        setEditing(undefined);
      } else {
        const row = await trpc.channels.create.mutate(values as ChannelCreateInput);
        flash.showSuccess(t('channels.created', { name: row.name }));
        panel.nextForm();
      }
    });
  }

  async function toggle(row: ChannelRow) {
    const status = row.status === 'enabled' ? 'manual_disabled' : 'enabled';
    await runRow(row.id, async () => {
      await trpc.channels.setStatus.mutate({ id: row.id, status });
      flash.showSuccess(
        t(status === 'enabled' ? 'channels.enabled' : 'channels.disabled', { name: row.name }),
      );
    });
  }

  const [testing, setTesting] = createSignal<number | 'all'>();

  async function testOne(row: ChannelRow) {
    setTesting(row.id);
    try {
      const r = await trpc.health.testChannel.mutate({ id: row.id });
      if (!r.ok) flash.showError(t('health.failed', { name: row.name, error: r.error ?? '?' }));
      else if (r.reenabled) flash.showSuccess(t('health.reenabled', { name: row.name }));
      else
        flash.showSuccess(
          t(r.slow ? 'health.passedSlow' : 'health.passed', { name: row.name, ms: r.latencyMs }),
        );
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setTesting(undefined);
      await channels.reload();
    }
  }

  async function testAll() {
    setTesting('all');
    try {
      const results = await trpc.health.testAll.mutate();
      const ok = results.filter((r) => r.ok).length;
      const msg = t('health.allDone', { ok, n: results.length });
      if (ok === results.length) flash.showSuccess(msg);
      else
        flash.showError(
          `${msg} ${results
            .filter((r) => !r.ok)
            .map((r) => t('health.failed', { name: r.name, error: r.error ?? '?' }))
            .join(' ')}`,
        );
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setTesting(undefined);
      await channels.reload();
    }
  }

  /** Copies the channel on the server (keys included, never sent here) and opens the copy for editing. */
  async function clone(row: ChannelRow) {
    setBusyId(row.id);
    try {
      const copy = await trpc.channels.clone.mutate({ id: row.id });
      await channels.reload();
      startEdit(copy);
      flash.showSuccess(t('channels.cloned', { name: copy.name }));
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setBusyId(undefined);
    }
  }

  const remove = (row: ChannelRow) =>
    runRow(
      row.id,
      async () => {
        await trpc.channels.delete.mutate({ id: row.id });
        flash.showSuccess(t('channels.deleted', { name: row.name }));
        if (editing()?.id === row.id) setEditing(undefined);
      },
      t('channels.confirmDelete', { name: row.name }),
    );

  return (
    <>
      <Title>
        {t('channels.title')} · {t('app.name')}
      </Title>
      <PageHeader
        title={t('channels.title')}
        subtitle={t('channels.subtitle')}
        actions={
          <>
            <button
              type="button"
              class="btn btn-secondary"
              data-testid="channel-test-all"
              disabled={testing() !== undefined}
              onClick={() => testAll()}
            >
              {testing() === 'all' ? t('health.testing') : t('health.testAll')}
            </button>
            <NewButton testid="channel-new" panel={panel}>
              {t('channels.new')}
            </NewButton>
          </>
        }
      />
      <FlashMessages flash={flash} />

      <section class="card">
        <Show when={channels.error()}>
          {(msg) => (
            <div class="alert alert-error" data-testid="error-message">
              <span>{msg()}</span>
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => channels.reload()}>
                {t('common.retry')}
              </button>
            </div>
          )}
        </Show>
        <Show when={channels.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
          {(rows) => (
            <Show
              when={rows().length > 0}
              fallback={
                <p class="empty-state" data-testid="channel-empty">
                  {t('channels.empty')}
                </p>
              }
            >
              <div class="table-wrap">
                <table class="table table-channels">
                  <thead>
                    <tr>
                      <th>{t('channels.col.name')}</th>
                      <th>{t('channels.col.type')}</th>
                      <th>{t('channels.col.baseUrl')}</th>
                      <th>{t('channels.col.models')}</th>
                      <th>{t('channels.col.groups')}</th>
                      <th class="num">{t('channels.col.priority')}</th>
                      <th class="num">{t('channels.col.weight')}</th>
                      <th>{t('channels.col.status')}</th>
                      <th>{t('health.col.test')}</th>
                      <th>{t('channels.col.keys')}</th>
                      <th class="col-actions">{t('common.actions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={rows()}>
                      {(row) => (
                        <tr
                          data-testid="channel-row"
                          data-channel-id={row.id}
                          classList={{ 'row-editing': editing()?.id === row.id }}
                        >
                          <td class="cell-strong">{row.name}</td>
                          <td>{t(`channels.type.${row.type}` as MessageKey)}</td>
                          <td class="cell-url" title={row.baseUrl}>
                            {row.baseUrl}
                          </td>
                          <td>
                            <div class="chips">
                              <For each={row.models}>{(m) => <span class="chip">{m}</span>}</For>
                            </div>
                            <Show when={Object.keys(row.modelMapping).length > 0}>
                              <div class="small muted cell-sub">
                                {Object.entries(row.modelMapping)
                                  .map(([a, u]) => `${a} → ${u}`)
                                  .join(', ')}
                              </div>
                            </Show>
                          </td>
                          <td>
                            <div class="chips">
                              <For each={row.groups}>{(g) => <span class="chip chip-muted">{g}</span>}</For>
                            </div>
                          </td>
                          <td class="num">{row.priority}</td>
                          <td class="num">{row.weight}</td>
                          <td class="nowrap">
                            <span
                              class={statusClass[row.status]}
                              data-testid="channel-status"
                              title={row.statusReason ?? ''}
                            >
                              {t(`channels.status.${row.status}` as MessageKey)}
                            </span>
                          </td>
                          <td class="nowrap small" data-testid="channel-test">
                            <Show
                              when={row.testTime}
                              fallback={<span class="muted">{t('health.never')}</span>}
                            >
                              {(time) => (
                                <span title={formatDateTime(time())}>
                                  {formatTime(time())}
                                  <Show when={row.responseTimeMs !== null}>
                                    {' · '}
                                    <span data-testid="channel-latency">{formatMs(row.responseTimeMs)}</span>
                                  </Show>
                                </span>
                              )}
                            </Show>
                            <Show when={row.balance !== null}>
                              <div class="muted">
                                {t('health.balance')}: {formatCentsPlain(row.balance ?? 0)}
                                <Show when={row.balanceThreshold !== null}>
                                  {' '}
                                  / {formatCentsPlain(row.balanceThreshold ?? 0)}
                                </Show>
                              </div>
                            </Show>
                          </td>
                          <td>
                            <For each={row.keyMasks}>{(k) => <code class="key-mask block">{k}</code>}</For>
                          </td>
                          <td class="col-actions">
                            <div class="row-actions">
                              <RowButton
                                variant="secondary"
                                testid="channel-edit"
                                onClick={() => startEdit(row)}
                              >
                                {t('common.edit')}
                              </RowButton>
                              <RowButton
                                variant="ghost"
                                testid="channel-test-now"
                                disabled={testing() !== undefined}
                                onClick={() => testOne(row)}
                              >
                                {testing() === row.id ? t('health.testing') : t('health.testNow')}
                              </RowButton>
                              <RowButton
                                variant="ghost"
                                testid="channel-toggle"
                                disabled={busyId() === row.id}
                                onClick={() => toggle(row)}
                              >
                                {row.status === 'enabled' ? t('common.disable') : t('common.enable')}
                              </RowButton>
                              <RowButton
                                variant="ghost"
                                testid="channel-clone"
                                disabled={busyId() === row.id}
                                onClick={() => clone(row)}
                              >
                                {t('channels.clone')}
                              </RowButton>
                              <DeleteButton
                                testid="channel-delete"
                                disabled={busyId() === row.id}
                                onDelete={() => remove(row)}
                              />
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

      <section class="card" ref={panel.cardRef}>
        <h2>{editing() ? t('channels.editTitle', { name: editing()!.name }) : t('channels.createTitle')}</h2>
        <PanelForm
          editing={editing()}
          rev={formRev()}
          form={(row) => (
            <ChannelForm
              initial={row}
              busy={saving()}
              onSubmit={save}
              onInvalid={flash.showError}
              onCancel={row && (() => setEditing(undefined))}
            />
          )}
        />
      </section>
    </>
  );
}
