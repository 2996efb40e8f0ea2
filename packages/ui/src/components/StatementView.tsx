import { For, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import { formatNumber } from '~/lib/format.ts';
import { formatMoney } from '~/lib/money.ts';
import type { RouterOutputs } from '~/lib/types.ts';

export type StatementData = RouterOutputs['statements']['mine'];

/** A monthly statement: the balance walk (opening → closing) and usage by model. */
export function StatementView(props: {
  statement: StatementData;
  display: { quotaPerUnit: number; currency: string };
}) {
  const m = (units: number) => formatMoney(units, props.display);
  const s = () => props.statement;
  return (
    <>
      <Show when={s().generatedAt === null}>
        <p class="small muted">{t('statements.open')}</p>
      </Show>
      <table class="table statement-summary" data-testid="statement-summary">
        <tbody>
          <tr>
            <td>{t('statements.opening')}</td>
            <td class="num" data-testid="statement-opening">
              {m(s().opening)}
            </td>
          </tr>
          <tr>
            <td>{t('statements.topups')}</td>
            <td class="num">+{m(s().topups)}</td>
          </tr>
          <tr>
            <td>{t('statements.refunds')}</td>
            <td class="num">−{m(s().refunds)}</td>
          </tr>
          <tr>
            <td>{t('statements.adjustments')}</td>
            <td class="num">{m(s().adjustments)}</td>
          </tr>
          <tr>
            <td>{t('statements.usage', { n: formatNumber(s().requests) })}</td>
            <td class="num">−{m(s().usage)}</td>
          </tr>
          <tr class="total">
            <td>{t('statements.closing')}</td>
            <td class="num" data-testid="statement-closing">
              {m(s().closing)}
            </td>
          </tr>
        </tbody>
      </table>
      <h3>{t('statements.byModel')}</h3>
      <Show when={s().usageByModel.length > 0} fallback={<p class="muted">{t('statements.noUsage')}</p>}>
        <table class="table">
          <thead>
            <tr>
              <th>{t('statements.model')}</th>
              <th class="num">{t('statements.requests')}</th>
              <th class="num">{t('statements.promptTokens')}</th>
              <th class="num">{t('statements.completionTokens')}</th>
              <th class="num">{t('statements.cost')}</th>
            </tr>
          </thead>
          <tbody>
            <For each={s().usageByModel}>
              {(r) => (
                <tr>
                  <td class="mono">{r.model || '—'}</td>
                  <td class="num">{formatNumber(r.requests)}</td>
                  <td class="num">{formatNumber(r.promptTokens)}</td>
                  <td class="num">{formatNumber(r.completionTokens)}</td>
                  <td class="num">{m(r.cost)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
    </>
  );
}
