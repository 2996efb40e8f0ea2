import { Title } from '@solidjs/meta';
import { A } from '@solidjs/router';
import { createMemo, createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { ChartCanvas } from '~/components/Chart.tsx';
import { RangePicker } from '~/components/RangePicker.tsx';
import { StatCard } from '~/components/StatCard.tsx';
import { t } from '~/i18n/index.ts';
import { formatCompact, presetChoice, type RangeChoice, rangeInput } from '~/lib/dashboard.ts';
import {
  doughnutChart,
  horizontalBarChart,
  moneyBarChart,
  requestsTokensChart,
  sliceColor,
} from '~/lib/dashboard-charts.ts';
import { formatNumber } from '~/lib/format.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMoney } from '~/lib/money.ts';
import { trpc } from '~/lib/trpc.ts';
import type { RouterOutputs } from '~/lib/types.ts';

type Usage = RouterOutputs['stats']['myUsage'];
type KeyUsage = Usage['keys'][number];

function keyLabel(k: KeyUsage): string {
  if (k.tokenId === null) return t('myDashboard.keys.none');
  return k.name ?? t('myDashboard.keys.deleted', { id: k.tokenId });
}

/** The user's own dashboard (SPEC §7): balance, and usage by day, model and key. */
export default function MyDashboard() {
  const [range, setRange] = createSignal<RangeChoice>(presetChoice(30));
  const usage = createLoader(() => trpc.stats.myUsage.query(rangeInput(range())));

  function choose(choice: RangeChoice) {
    setRange(choice);
    void usage.reload();
  }

  const d = () => usage.data();
  const money = (units: number) => {
    const data = d();
    return data ? formatMoney(units, data.currency) : t('common.none');
  };
  const empty = () => (d()?.totals.requests ?? 0) === 0;

  const charts = createMemo(() => {
    const data = d();
    if (!data) return undefined;
    return {
      spend: moneyBarChart(
        data.daily,
        t('chart.spend'),
        data.daily.map((x) => x.cost),
        data.currency,
      ),
      requests: requestsTokensChart(data.daily),
      models: doughnutChart(
        data.models.map((m, i) => ({
          label: m.model ?? t('chart.otherModels'),
          value: m.requests,
          color: sliceColor(i, m.model === null),
        })),
      ),
      keys: horizontalBarChart(
        data.keys.slice(0, 10).map((k) => ({ label: keyLabel(k), value: k.cost })),
        t('chart.spend'),
        (v) => formatMoney(v, data.currency),
        (v) => formatMoney(v, data.currency, { compact: true }),
      ),
    };
  });

  return (
    <>
      <Title>
        {t('myDashboard.title')} · {t('app.name')}
      </Title>
      <PageHeader
        title={t('myDashboard.title')}
        subtitle={t('myDashboard.subtitle')}
        actions={<RangePicker value={range()} onChange={choose} />}
      />
      <Show when={usage.error()}>
        {(msg) => (
          <div class="alert alert-error" data-testid="error-message">
            <span>{msg()}</span>
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => usage.reload()}>
              {t('common.retry')}
            </button>
          </div>
        )}
      </Show>

      <div class="stat-grid" data-testid="my-cards">
        <StatCard
          testId="stat-balance"
          label={t('myDashboard.card.balance')}
          loading={usage.loading()}
          tone={d() && d()!.balance <= 0 ? 'danger' : undefined}
          value={money(d()?.balance ?? 0)}
          sub={d() && t('myDashboard.card.balanceSub', { n: formatNumber(d()!.balance) })}
        />
        <StatCard
          testId="stat-spent"
          label={t('myDashboard.card.spent')}
          loading={usage.loading()}
          value={money(d()?.totals.cost ?? 0)}
          sub={d() && t('myDashboard.card.spentSub', { total: money(d()!.usedQuota) })}
        />
        <StatCard
          testId="stat-my-requests"
          label={t('myDashboard.card.requests')}
          loading={usage.loading()}
          value={d() ? formatNumber(d()!.totals.requests) : t('common.none')}
          sub={d() && t('myDashboard.card.requestsSub', { n: formatNumber(d()!.totals.errors) })}
        />
        <StatCard
          testId="stat-my-tokens"
          label={t('myDashboard.card.tokens')}
          loading={usage.loading()}
          value={
            d() ? formatCompact(d()!.totals.promptTokens + d()!.totals.completionTokens) : t('common.none')
          }
          sub={
            d() &&
            t('myDashboard.card.tokensSub', {
              input: formatCompact(d()!.totals.promptTokens),
              output: formatCompact(d()!.totals.completionTokens),
            })
          }
        />
      </div>

      <div class="chart-grid">
        <section class="card">
          <div class="card-head">
            <h2>{t('myDashboard.chart.spend')}</h2>
          </div>
          <ChartCanvas
            testId="chart-my-spend"
            label={t('myDashboard.chart.spend')}
            config={charts()?.spend}
            empty={d() && empty()}
          />
        </section>
        <section class="card">
          <div class="card-head">
            <h2>{t('myDashboard.chart.requests')}</h2>
          </div>
          <ChartCanvas
            testId="chart-my-requests"
            label={t('myDashboard.chart.requests')}
            config={charts()?.requests}
            empty={d() && empty()}
          />
        </section>
        <section class="card">
          <div class="card-head">
            <h2>{t('myDashboard.chart.models')}</h2>
          </div>
          <ChartCanvas
            testId="chart-my-models"
            label={t('myDashboard.chart.models')}
            config={charts()?.models}
            empty={d() && empty()}
          />
        </section>
        <section class="card">
          <div class="card-head">
            <h2>{t('myDashboard.chart.keys')}</h2>
            <A href="/portal/tokens" class="small">
              {t('myDashboard.createKey')}
            </A>
          </div>
          <Show
            when={(d()?.keys.length ?? 0) > 0}
            fallback={<p class="empty-state">{d() ? t('chart.empty') : t('common.loading')}</p>}
          >
            <ChartCanvas
              testId="chart-my-keys"
              label={t('myDashboard.chart.keys')}
              config={charts()?.keys}
              height={Math.min(10, d()?.keys.length ?? 0) * 34 + 50}
            />
            <div class="table-wrap">
              <table class="table" data-testid="my-keys">
                <thead>
                  <tr>
                    <th>{t('myDashboard.keys.col.name')}</th>
                    <th class="num">{t('myDashboard.keys.col.requests')}</th>
                    <th class="num">{t('myDashboard.keys.col.tokens')}</th>
                    <th class="num">{t('myDashboard.keys.col.spend')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={d()!.keys}>
                    {(k, i) => (
                      <tr data-testid="my-key-row">
                        <td class="cell-strong">
                          <span class="swatch" style={{ background: sliceColor(i(), false) }} />
                          {keyLabel(k)}
                        </td>
                        <td class="num">{formatNumber(k.requests)}</td>
                        <td class="num">{formatNumber(k.tokens)}</td>
                        <td class="num">{money(k.cost)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        </section>
      </div>
    </>
  );
}
