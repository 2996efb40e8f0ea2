import { Title } from '@solidjs/meta';
import type { SetPriceInput } from '@tollgate/control-plane/modules/prices/prices.schemas.ts';
import { markupPercentOf } from '@tollgate/shared/currency.ts';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { PriceForm } from '~/components/PriceForm.tsx';
import { PriceImport } from '~/components/PriceImport.tsx';
import {
  createEditPanel,
  createRowRunner,
  DeleteButton,
  NewButton,
  PanelForm,
  RowButton,
} from '~/components/RowActions.tsx';
import { t } from '~/i18n/index.ts';
import { type MoneySettings, money, unitsLabel } from '~/lib/currency-input.ts';
import { formatDate } from '~/lib/format.ts';
import { createLoader } from '~/lib/loader.ts';
import { trpc } from '~/lib/trpc.ts';
import type { PriceRow } from '~/lib/types.ts';
import '~/components/config-pages.css';

/** An amount in the display currency, with the raw quota units underneath and on hover. */
function MoneyCell(props: { units: number | null; m: MoneySettings; testId?: string }) {
  return (
    <td class="num money-cell" data-testid={props.testId}>
      <Show when={props.units !== null} fallback={<span class="muted">{t('common.none')}</span>}>
        <span title={unitsLabel(props.units!)}>{money(props.units!, props.m)}</span>
        <span class="units">{unitsLabel(props.units!)}</span>
      </Show>
    </td>
  );
}

/** "+25%" for one figure, "in +25% · out +20%" when input and output differ, "—" without costs. */
function markupText(p: PriceRow): string {
  const fmt = (pct: string | null) => (pct === null ? null : `${pct.startsWith('-') ? '' : '+'}${pct}%`);
  if (p.perCallPrice !== null)
    return fmt(markupPercentOf(p.perCallPrice, p.costPerCallPrice)) ?? t('common.none');
  const input = fmt(markupPercentOf(p.inputPrice, p.costInputPrice));
  const output = fmt(markupPercentOf(p.outputPrice, p.costOutputPrice));
  if (input === output) return input ?? t('common.none');
  return t('prices.markupSplit', { input: input ?? t('common.none'), output: output ?? t('common.none') });
}

function costText(p: PriceRow, m: MoneySettings): string {
  if (p.perCallPrice !== null || p.costPerCallPrice !== null)
    return p.costPerCallPrice === null
      ? t('common.none')
      : t('prices.perCall', { amount: money(p.costPerCallPrice, m) });
  if (p.costInputPrice === null && p.costOutputPrice === null) return t('common.none');
  const f = (u: number | null) => (u === null ? t('common.none') : money(u, m));
  return t('prices.costTokens', { input: f(p.costInputPrice), output: f(p.costOutputPrice) });
}

/** Model prices (SPEC §5): sell and cost prices per 1M tokens or per call, in the display currency. */
export default function PricesPage() {
  const flash = createFlash();
  const data = createLoader(async () => {
    const [rows, settings, status] = await Promise.all([
      trpc.prices.list.query(),
      trpc.settings.get.query(),
      trpc.prices.importStatus.query(),
    ]);
    const m: MoneySettings = { quotaPerUnit: settings.quota_per_unit, currency: settings.display_currency };
    return { rows, money: m, status };
  });
  const panel = createEditPanel<PriceRow>({ flash, reload: data.reload });
  const { editing, setEditing, saving, formRev } = panel;
  const [importing, setImporting] = createSignal(false);
  const [busyModel, setBusyModel] = createSignal<string>();
  const runRow = createRowRunner({ flash, setBusy: setBusyModel, reload: data.reload });

  const save = (values: SetPriceInput) =>
    panel.save(async () => {
      const row = await trpc.prices.set.mutate(values);
      flash.showSuccess(t(editing() ? 'prices.updated' : 'prices.created', { model: row.model }));
      setEditing(undefined);
      panel.nextForm();
    });

  const remove = (row: PriceRow) =>
    runRow(
      row.model,
      async () => {
        await trpc.prices.delete.mutate({ model: row.model });
        flash.showSuccess(t('prices.deleted', { model: row.model }));
        if (editing()?.model === row.model) setEditing(undefined);
      },
      t('prices.confirmDelete', { model: row.model }),
    );

  return (
    <>
      <Title>
        {t('prices.title')} · {t('app.name')}
      </Title>
      <PageHeader
        title={t('prices.title')}
        subtitle={
          data.data()
            ? t('prices.subtitle', {
                currency: data.data()!.money.currency,
                rate: unitsLabel(data.data()!.money.quotaPerUnit),
              })
            : undefined
        }
        actions={
          <div class="header-actions">
            <button
              type="button"
              class="btn btn-secondary"
              data-testid="price-import-open"
              onClick={() => {
                setImporting(true);
                flash.clear();
              }}
            >
              {t('prices.import.open')}
            </button>
            <NewButton testid="price-new" panel={panel}>
              {t('prices.new')}
            </NewButton>
          </div>
        }
      />
      <FlashMessages flash={flash} />

      <Show when={importing() && data.data()}>
        {(d) => (
          <section class="card" data-testid="price-import">
            <h2>{t('prices.import.title')}</h2>
            <PriceImport
              money={d().money}
              scheduled={d().status.scheduled}
              onDone={(r) => {
                flash.showSuccess(
                  t('prices.import.done', { added: r.added, updated: r.updated, skipped: r.skipped }),
                );
                void data.reload();
              }}
              onError={flash.showError}
              onCancel={() => setImporting(false)}
            />
          </section>
        )}
      </Show>

      <section class="card">
        <Show when={data.error()}>
          {(msg) => (
            <div class="alert alert-error" data-testid="error-message">
              <span>{msg()}</span>
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => data.reload()}>
                {t('common.retry')}
              </button>
            </div>
          )}
        </Show>
        <Show when={data.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
          {(d) => (
            <Show
              when={d().rows.length > 0}
              fallback={
                <p class="empty-state" data-testid="price-empty">
                  {t('prices.empty')}
                </p>
              }
            >
              <div class="table-wrap" classList={{ 'is-loading': data.loading() }}>
                <table class="table">
                  <thead>
                    <tr>
                      <th>{t('prices.col.model')}</th>
                      <th class="num">{t('prices.col.input')}</th>
                      <th class="num">{t('prices.col.cached')}</th>
                      <th class="num">{t('prices.col.output')}</th>
                      <th class="num">{t('prices.col.perCall')}</th>
                      <th>{t('prices.col.cost')}</th>
                      <th class="num">{t('prices.col.markup')}</th>
                      <th>{t('prices.col.updated')}</th>
                      <th class="col-actions">{t('common.actions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={d().rows}>
                      {(row) => (
                        <tr
                          data-testid="price-row"
                          data-model={row.model}
                          classList={{ 'row-editing': editing()?.model === row.model }}
                        >
                          <td class="cell-strong">
                            <code>{row.model}</code>
                            <Show when={row.source === 'auto'}>
                              {' '}
                              <span class="badge badge-info" title={t('prices.sourceAutoHint')}>
                                {t('prices.source.auto')}
                              </span>
                            </Show>
                          </td>
                          <MoneyCell
                            units={row.perCallPrice === null ? row.inputPrice : null}
                            m={d().money}
                            testId="price-cell-input"
                          />
                          <MoneyCell
                            units={row.perCallPrice === null ? row.cachedInputPrice : null}
                            m={d().money}
                          />
                          <MoneyCell
                            units={row.perCallPrice === null ? row.outputPrice : null}
                            m={d().money}
                            testId="price-cell-output"
                          />
                          <MoneyCell units={row.perCallPrice} m={d().money} testId="price-cell-per-call" />
                          <td class="nowrap small">{costText(row, d().money)}</td>
                          <td class="num nowrap" data-testid="price-cell-markup">
                            {markupText(row)}
                          </td>
                          <td class="nowrap">{formatDate(row.updatedAt)}</td>
                          <td class="col-actions">
                            <div class="row-actions">
                              <RowButton
                                variant="secondary"
                                testid="price-edit"
                                onClick={() => panel.startEdit(row)}
                              >
                                {t('common.edit')}
                              </RowButton>
                              <DeleteButton
                                testid="price-delete"
                                disabled={busyModel() === row.model}
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
        <h2>{editing() ? t('prices.editTitle', { model: editing()!.model }) : t('prices.createTitle')}</h2>
        <Show when={data.data()} fallback={<p class="muted">{t('common.loading')}</p>}>
          {(d) => (
            <PanelForm
              editing={editing()}
              rev={formRev()}
              form={(row) => (
                <PriceForm
                  initial={row}
                  money={d().money}
                  busy={saving()}
                  onSubmit={save}
                  onInvalid={flash.showError}
                  onCancel={row && (() => setEditing(undefined))}
                />
              )}
            />
          )}
        </Show>
      </section>
    </>
  );
}
