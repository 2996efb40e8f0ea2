import { Title } from '@solidjs/meta';
import type { CreateGroupInput } from '@tollgate/control-plane/modules/groups/groups.schemas.ts';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { GroupForm } from '~/components/GroupForm.tsx';
import {
  createEditPanel,
  createRowRunner,
  DeleteButton,
  NewButton,
  PanelForm,
  RowButton,
} from '~/components/RowActions.tsx';
import { t } from '~/i18n/index.ts';
import { formatNumber } from '~/lib/format.ts';
import { createLoader } from '~/lib/loader.ts';
import { trpc } from '~/lib/trpc.ts';
import type { GroupRow } from '~/lib/types.ts';
import '~/components/config-pages.css';

/** User groups: price multiplier, rate limits, and which groups users may pick for their keys. */
export default function GroupsPage() {
  const flash = createFlash();
  const groups = createLoader(() => trpc.groups.list.query());
  const panel = createEditPanel<GroupRow>({ flash, reload: groups.reload });
  const { editing, setEditing, saving, formRev } = panel;
  const [busyName, setBusyName] = createSignal<string>();
  const runRow = createRowRunner({ flash, setBusy: setBusyName, reload: groups.reload });

  const startEdit = panel.startEdit;

  const save = (values: CreateGroupInput, mode: 'create' | 'update') =>
    panel.save(async () => {
      const row =
        mode === 'update' ? await trpc.groups.update.mutate(values) : await trpc.groups.create.mutate(values);
      flash.showSuccess(t(mode === 'update' ? 'groups.updated' : 'groups.created', { name: row.name }));
      setEditing(undefined);
      panel.nextForm();
    });

  const remove = (row: GroupRow) =>
    runRow(
      row.name,
      async () => {
        await trpc.groups.delete.mutate({ name: row.name });
        flash.showSuccess(t('groups.deleted', { name: row.name }));
        if (editing()?.name === row.name) setEditing(undefined);
      },
      t('groups.confirmDelete', { name: row.name }),
    );

  /** Adds or removes the group from the `user_selectable_groups` setting. */
  async function toggleSelectable(row: GroupRow, selectable: boolean) {
    const current = (groups.data() ?? []).filter((g) => g.userSelectable).map((g) => g.name);
    const next = selectable ? [...new Set([...current, row.name])] : current.filter((n) => n !== row.name);
    await runRow(row.name, async () => {
      await trpc.settings.set.mutate({ user_selectable_groups: next });
      flash.showSuccess(t(selectable ? 'groups.selectableOn' : 'groups.selectableOff', { name: row.name }));
    });
  }

  return (
    <>
      <Title>
        {t('groups.title')} · {t('app.name')}
      </Title>
      <PageHeader
        title={t('groups.title')}
        subtitle={t('groups.subtitle')}
        actions={
          <NewButton testid="group-new" panel={panel}>
            {t('groups.new')}
          </NewButton>
        }
      />
      <FlashMessages flash={flash} />

      <section class="card">
        <Show when={groups.error()}>
          {(msg) => (
            <div class="alert alert-error" data-testid="error-message">
              <span>{msg()}</span>
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => groups.reload()}>
                {t('common.retry')}
              </button>
            </div>
          )}
        </Show>
        <Show when={groups.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
          {(rows) => (
            <div class="table-wrap" classList={{ 'is-loading': groups.loading() }}>
              <table class="table">
                <thead>
                  <tr>
                    <th>{t('groups.col.name')}</th>
                    <th class="num">{t('groups.col.multiplier')}</th>
                    <th class="num">{t('groups.col.rpm')}</th>
                    <th class="num">{t('groups.col.tpm')}</th>
                    <th class="num">{t('groups.col.users')}</th>
                    <th class="num">{t('groups.col.keys')}</th>
                    <th>{t('groups.col.selectable')}</th>
                    <th class="col-actions">{t('common.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={rows()}>
                    {(row) => (
                      <tr
                        data-testid="group-row"
                        data-group={row.name}
                        classList={{ 'row-editing': editing()?.name === row.name }}
                      >
                        <td class="cell-strong">
                          <div>
                            {row.name}{' '}
                            <Show when={row.isDefault}>
                              <span class="badge badge-accent" title={t('groups.defaultHint')}>
                                {t('groups.default')}
                              </span>
                            </Show>{' '}
                            <Show when={!row.defined}>
                              <span class="badge badge-plain" title={t('groups.undefinedHint')}>
                                {t('groups.undefined')}
                              </span>
                            </Show>
                          </div>
                          <Show when={row.description}>
                            <div class="small muted cell-sub">{row.description}</div>
                          </Show>
                        </td>
                        <td class="num" data-testid="group-cell-multiplier">
                          ×{row.multiplier}
                        </td>
                        <td class="num">
                          {row.rpmLimit === null ? t('groups.noLimit') : formatNumber(row.rpmLimit)}
                        </td>
                        <td class="num">
                          {row.tpmLimit === null ? t('groups.noLimit') : formatNumber(row.tpmLimit)}
                        </td>
                        <td class="num">{formatNumber(row.users)}</td>
                        <td class="num">{formatNumber(row.keys)}</td>
                        <td>
                          <label class="check inline">
                            <input
                              type="checkbox"
                              data-testid="group-selectable"
                              checked={row.userSelectable}
                              disabled={busyName() === row.name}
                              onChange={(e) => toggleSelectable(row, e.currentTarget.checked)}
                            />
                            <span class="small">{t('groups.selectableLabel')}</span>
                          </label>
                        </td>
                        <td class="col-actions">
                          <div class="row-actions">
                            <RowButton variant="secondary" testid="group-edit" onClick={() => startEdit(row)}>
                              {row.defined ? t('common.edit') : t('groups.define')}
                            </RowButton>
                            <Show when={row.defined}>
                              <DeleteButton
                                testid="group-delete"
                                disabled={busyName() === row.name}
                                onDelete={() => remove(row)}
                              />
                            </Show>
                          </div>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          )}
        </Show>
      </section>

      <section class="card" ref={panel.cardRef}>
        <h2>
          {editing()
            ? t(editing()!.defined ? 'groups.editTitle' : 'groups.defineTitle', { name: editing()!.name })
            : t('groups.createTitle')}
        </h2>
        <PanelForm
          editing={editing()}
          rev={formRev()}
          form={(row) => (
            <GroupForm
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
