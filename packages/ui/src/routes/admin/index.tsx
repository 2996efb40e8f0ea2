import { createMemo, For, type JSX, Show } from 'solid-js';
import {
  createDashboard,
  DashboardCard,
  DashboardPage,
  type StatSpec,
  tokensCard,
} from '~/components/DashboardCharts.tsx';
import { t } from '~/i18n/index.ts';
import { formatLatency, formatPercent, PALETTE } from '~/lib/dashboard.ts';
import { modelsChart, moneyChart, requestsChart } from '~/lib/dashboard-charts.ts';
import { formatNumber } from '~/lib/format.ts';
import { trpc } from '~/lib/trpc.ts';
import type { RouterOutputs } from '~/lib/types.ts';

type Dashboard = RouterOutputs['stats']['adminDashboard'];

/** Failure-rate colour: green under 2 %, amber under 10 %, red above. */
function rateTone(rate: number | null): 'ok' | 'warn' | 'danger' {
  if (rate === null || rate < 0.02) return 'ok';
  return rate < 0.1 ? 'warn' : 'danger';
}

/** The operator's dashboard (SPEC §7): traffic, error rate, latency, money, models, users, channels. */
export default function AdminDashboard() {
  const dash = createDashboard((input) => trpc.stats.adminDashboard.query(input));
  const { d, money } = dash;

  const charts = createMemo(() => {
    const data = d();
    if (!data) return undefined;
    return {
      requests: requestsChart(data.daily),
      money: moneyChart(
        data.daily,
        [
          {
            label: t('chart.revenue'),
            values: data.daily.map((x) => x.revenue),
            color: PALETTE[0],
            fill: true,
          },
          { label: t('chart.cost'), values: data.daily.map((x) => x.cost), color: PALETTE[8] },
        ],
        data.currency,
      ),
      models: modelsChart(data.models),
    };
  });

  const cards: StatSpec[] = [
    {
      testId: 'stat-requests',
      label: () => t('dashboard.card.requests'),
      value: () => (d() ? formatNumber(d()!.totals.requests) : t('common.none')),
      sub: () =>
        d() &&
        t('dashboard.card.requestsSub', {
          n: formatNumber(Math.round(d()!.totals.requests / Math.max(1, d()!.daily.length))),
        }),
    },
    {
      testId: 'stat-error-rate',
      label: () => t('dashboard.card.errorRate'),
      tone: () => (d() && d()!.totals.errors > 0 ? rateTone(d()!.totals.errorRate) : undefined),
      value: () => formatPercent(d()?.totals.errorRate),
      sub: () => d() && t('dashboard.card.errorRateSub', { n: formatNumber(d()!.totals.errors) }),
    },
    {
      testId: 'stat-latency',
      label: () => t('dashboard.card.latency'),
      value: () => `${formatLatency(d()?.latency.p50)} / ${formatLatency(d()?.latency.p95)}`,
      sub: () => d() && t('dashboard.card.latencySub', { n: formatNumber(d()!.latency.samples) }),
    },
    tokensCard('stat-tokens', 'dashboard', d),
    {
      testId: 'stat-revenue',
      label: () => t('dashboard.card.revenue'),
      value: () => money(d()?.totals.revenue ?? 0),
      sub: () => d() && t('dashboard.card.units', { n: formatNumber(d()!.totals.revenue) }),
    },
    {
      testId: 'stat-cost',
      label: () => t('dashboard.card.cost'),
      value: () => money(d()?.totals.cost ?? 0),
      sub: () => d() && t('dashboard.card.units', { n: formatNumber(d()!.totals.cost) }),
    },
    {
      testId: 'stat-margin',
      label: () => t('dashboard.card.margin'),
      tone: () => (d() && d()!.totals.margin < 0 ? 'danger' : undefined),
      value: () => money(d()?.totals.margin ?? 0),
      sub: () => d() && t('dashboard.card.marginSub', { pct: formatPercent(d()!.totals.marginRate) }),
    },
    {
      testId: 'stat-users',
      label: () => t('dashboard.card.activeUsers'),
      value: () => (d() ? formatNumber(d()!.totals.activeUsers) : t('common.none')),
      sub: () => t('dashboard.card.activeUsersSub'),
    },
  ];

  return (
    <DashboardPage
      dash={dash}
      title={t('dashboard.title')}
      subtitle={t('dashboard.subtitle')}
      cardsTestId="dashboard-cards"
      cards={cards}
      charts={[
        { title: t('dashboard.chart.requests'), testId: 'chart-requests', config: charts()?.requests },
        { title: t('dashboard.chart.money'), testId: 'chart-money', config: charts()?.money },
        { title: t('dashboard.chart.models'), testId: 'chart-models', config: charts()?.models },
      ]}
      after={
        <DashboardCard title={t('dashboard.users.title')}>
          <TopUsers data={d()} money={money} />
        </DashboardCard>
      }
    >
      <DashboardCard title={t('dashboard.channels.title')}>
        <ChannelTable data={d()} />
      </DashboardCard>
    </DashboardPage>
  );
}

/** A table over the dashboard: "loading" until the data comes, the empty note when it has no rows. */
function DataTable(props: {
  data: Dashboard | undefined;
  rows: (data: Dashboard) => unknown[];
  empty: string;
  children: (data: () => Dashboard) => JSX.Element;
}) {
  return (
    <Show when={props.data} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
      {(data) => (
        <Show when={props.rows(data()).length > 0} fallback={<p class="empty-state">{props.empty}</p>}>
          <div class="table-wrap">{props.children(data)}</div>
        </Show>
      )}
    </Show>
  );
}

function ChannelTable(props: { data: Dashboard | undefined }) {
  return (
    <DataTable data={props.data} rows={(d) => d.channels} empty={t('dashboard.channels.empty')}>
      {(data) => (
        <table class="table" data-testid="channel-stats">
          <thead>
            <tr>
              <th>{t('dashboard.channels.col.name')}</th>
              <th class="num">{t('dashboard.channels.col.requests')}</th>
              <th class="num">{t('dashboard.channels.col.failures')}</th>
              <th class="num">{t('dashboard.channels.col.rate')}</th>
              <th class="num">{t('dashboard.channels.col.latency')}</th>
            </tr>
          </thead>
          <tbody>
            <For each={data().channels}>
              {(c) => (
                <tr data-testid="channel-stat-row">
                  <td class="cell-strong nowrap">
                    {c.name ?? t('dashboard.channels.deleted', { id: c.channelId })}
                  </td>
                  <td class="num">{formatNumber(c.requests)}</td>
                  <td class="num">{formatNumber(c.failures)}</td>
                  <td class="num">
                    <div class="rate-cell">
                      <span>{formatPercent(c.failureRate)}</span>
                      <span class={`rate-bar ${rateTone(c.failureRate)}`} aria-hidden="true">
                        <span style={{ width: `${Math.max(2, (c.failureRate ?? 0) * 100)}%` }} />
                      </span>
                    </div>
                  </td>
                  <td class="num nowrap">{formatLatency(c.avgLatencyMs)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      )}
    </DataTable>
  );
}

function TopUsers(props: { data: Dashboard | undefined; money: (units: number) => string }) {
  return (
    <DataTable data={props.data} rows={(d) => d.topUsers} empty={t('dashboard.users.empty')}>
      {(data) => (
        <table class="table" data-testid="top-users">
          <thead>
            <tr>
              <th class="rank">#</th>
              <th>{t('dashboard.users.col.email')}</th>
              <th class="num">{t('dashboard.users.col.requests')}</th>
              <th class="num">{t('dashboard.users.col.revenue')}</th>
              <th class="num">{t('dashboard.users.col.cost')}</th>
              <th class="num">{t('dashboard.users.col.margin')}</th>
            </tr>
          </thead>
          <tbody>
            <For each={data().topUsers}>
              {(u, i) => (
                <tr data-testid="top-user-row">
                  <td class="rank">{i() + 1}</td>
                  <td class="cell-strong">{u.email ?? t('dashboard.users.deleted', { id: u.userId })}</td>
                  <td class="num">{formatNumber(u.requests)}</td>
                  <td class="num">{props.money(u.revenue)}</td>
                  <td class="num">{props.money(u.cost)}</td>
                  <td class="num">{props.money(u.revenue - u.cost)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      )}
    </DataTable>
  );
}
