import { A } from '@solidjs/router';
import { createMemo, For, Show } from 'solid-js';
import { ChartCanvas } from '~/components/Chart.tsx';
import {
  createDashboard,
  DashboardCard,
  DashboardPage,
  type StatSpec,
  tokensCard,
} from '~/components/DashboardCharts.tsx';
import { t } from '~/i18n/index.ts';
import {
  horizontalBarChart,
  modelsChart,
  moneyBarChart,
  requestsTokensChart,
  sliceColor,
} from '~/lib/dashboard-charts.ts';
import { formatNumber } from '~/lib/format.ts';
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
  const dash = createDashboard((input) => trpc.stats.myUsage.query(input));
  const { d, money } = dash;

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
      models: modelsChart(data.models),
      keys: horizontalBarChart(
        data.keys.slice(0, 10).map((k) => ({ label: keyLabel(k), value: k.cost })),
        t('chart.spend'),
        (v) => formatMoney(v, data.currency),
        (v) => formatMoney(v, data.currency, { compact: true }),
      ),
    };
  });

  const cards: StatSpec[] = [
    {
      testId: 'stat-balance',
      label: () => t('myDashboard.card.balance'),
      tone: () => (d() && d()!.balance <= 0 ? 'danger' : undefined),
      value: () => money(d()?.balance ?? 0),
      sub: () => d() && t('myDashboard.card.balanceSub', { n: formatNumber(d()!.balance) }),
    },
    {
      testId: 'stat-spent',
      label: () => t('myDashboard.card.spent'),
      value: () => money(d()?.totals.cost ?? 0),
      sub: () => d() && t('myDashboard.card.spentSub', { total: money(d()!.usedQuota) }),
    },
    {
      testId: 'stat-my-requests',
      label: () => t('myDashboard.card.requests'),
      value: () => (d() ? formatNumber(d()!.totals.requests) : t('common.none')),
      sub: () => d() && t('myDashboard.card.requestsSub', { n: formatNumber(d()!.totals.errors) }),
    },
    tokensCard('stat-my-tokens', 'myDashboard', d),
  ];

  return (
    <DashboardPage
      dash={dash}
      title={t('myDashboard.title')}
      subtitle={t('myDashboard.subtitle')}
      cardsTestId="my-cards"
      cards={cards}
      charts={[
        { title: t('myDashboard.chart.spend'), testId: 'chart-my-spend', config: charts()?.spend },
        {
          title: t('myDashboard.chart.requests'),
          testId: 'chart-my-requests',
          config: charts()?.requests,
        },
        { title: t('myDashboard.chart.models'), testId: 'chart-my-models', config: charts()?.models },
      ]}
    >
      <DashboardCard
        title={t('myDashboard.chart.keys')}
        actions={
          <A href="/portal/tokens" class="small">
            {t('myDashboard.createKey')}
          </A>
        }
      >
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
      </DashboardCard>
    </DashboardPage>
  );
}
