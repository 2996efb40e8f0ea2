import { Title } from '@solidjs/meta';
import { createMemo, createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { ChartCanvas } from '~/components/Chart.tsx';
import { RangePicker } from '~/components/RangePicker.tsx';
import { StatCard } from '~/components/StatCard.tsx';
import { t } from '~/i18n/index.ts';
import {
  formatCompact,
  formatLatency,
  formatPercent,
  PALETTE,
  presetChoice,
  type RangeChoice,
  rangeInput,
} from '~/lib/dashboard.ts';
import { doughnutChart, moneyChart, requestsChart, sliceColor } from '~/lib/dashboard-charts.ts';
import { formatNumber } from '~/lib/format.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMoney } from '~/lib/money.ts';
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
  const [range, setRange] = createSignal<RangeChoice>(presetChoice(30));
  const stats = createLoader(() => trpc.stats.adminDashboard.query(rangeInput(range())));

  function choose(choice: RangeChoice) {
    setRange(choice);
    void stats.reload();
  }

  const d = () => stats.data();
  const money = (units: number) => {
    const data = d();
    return data ? formatMoney(units, data.currency) : t('common.none');
  };
  const empty = () => (d()?.totals.requests ?? 0) === 0;

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
      models: doughnutChart(modelSlices(data)),
    };
  });

  return (
    <>
      <Title>
        {t('dashboard.title')} · {t('app.name')}
      </Title>
      <PageHeader
        title={t('dashboard.title')}
        subtitle={t('dashboard.subtitle')}
        actions={<RangePicker value={range()} onChange={choose} />}
      />
      <Show when={stats.error()}>
        {(msg) => (
          <div class="alert alert-error" data-testid="error-message">
            <span>{msg()}</span>
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => stats.reload()}>
              {t('common.retry')}
            </button>
          </div>
        )}
      </Show>

      <div class="stat-grid" data-testid="dashboard-cards">
        <StatCard
          testId="stat-requests"
          label={t('dashboard.card.requests')}
          loading={stats.loading()}
          value={d() ? formatNumber(d()!.totals.requests) : t('common.none')}
          sub={
            d() &&
            t('dashboard.card.requestsSub', {
              n: formatNumber(Math.round(d()!.totals.requests / Math.max(1, d()!.daily.length))),
            })
          }
        />
        <StatCard
          testId="stat-error-rate"
          label={t('dashboard.card.errorRate')}
          loading={stats.loading()}
          tone={d() && d()!.totals.errors > 0 ? rateTone(d()!.totals.errorRate) : undefined}
          value={formatPercent(d()?.totals.errorRate)}
          sub={d() && t('dashboard.card.errorRateSub', { n: formatNumber(d()!.totals.errors) })}
        />
        <StatCard
          testId="stat-latency"
          label={t('dashboard.card.latency')}
          loading={stats.loading()}
          value={`${formatLatency(d()?.latency.p50)} / ${formatLatency(d()?.latency.p95)}`}
          sub={d() && t('dashboard.card.latencySub', { n: formatNumber(d()!.latency.samples) })}
        />
        <StatCard
          testId="stat-tokens"
          label={t('dashboard.card.tokens')}
          loading={stats.loading()}
          value={
            d() ? formatCompact(d()!.totals.promptTokens + d()!.totals.completionTokens) : t('common.none')
          }
          sub={
            d() &&
            t('dashboard.card.tokensSub', {
              input: formatCompact(d()!.totals.promptTokens),
              output: formatCompact(d()!.totals.completionTokens),
            })
          }
        />
        <StatCard
          testId="stat-revenue"
          label={t('dashboard.card.revenue')}
          loading={stats.loading()}
          value={money(d()?.totals.revenue ?? 0)}
          sub={d() && t('dashboard.card.units', { n: formatNumber(d()!.totals.revenue) })}
        />
        <StatCard
          testId="stat-cost"
          label={t('dashboard.card.cost')}
          loading={stats.loading()}
          value={money(d()?.totals.cost ?? 0)}
          sub={d() && t('dashboard.card.units', { n: formatNumber(d()!.totals.cost) })}
        />
        <StatCard
          testId="stat-margin"
          label={t('dashboard.card.margin')}
          loading={stats.loading()}
          tone={d() && d()!.totals.margin < 0 ? 'danger' : undefined}
          value={money(d()?.totals.margin ?? 0)}
          sub={d() && t('dashboard.card.marginSub', { pct: formatPercent(d()!.totals.marginRate) })}
        />
        <StatCard
          testId="stat-users"
          label={t('dashboard.card.activeUsers')}
          loading={stats.loading()}
          value={d() ? formatNumber(d()!.totals.activeUsers) : t('common.none')}
          sub={t('dashboard.card.activeUsersSub')}
        />
      </div>

      <div class="chart-grid">
        <section class="card">
          <div class="card-head">
            <h2>{t('dashboard.chart.requests')}</h2>
          </div>
          <ChartCanvas
            testId="chart-requests"
            label={t('dashboard.chart.requests')}
            config={charts()?.requests}
            empty={d() && empty()}
          />
        </section>
        <section class="card">
          <div class="card-head">
            <h2>{t('dashboard.chart.money')}</h2>
          </div>
          <ChartCanvas
            testId="chart-money"
            label={t('dashboard.chart.money')}
            config={charts()?.money}
            empty={d() && empty()}
          />
        </section>
        <section class="card">
          <div class="card-head">
            <h2>{t('dashboard.chart.models')}</h2>
          </div>
          <ChartCanvas
            testId="chart-models"
            label={t('dashboard.chart.models')}
            config={charts()?.models}
            empty={d() && empty()}
          />
        </section>
        <section class="card">
          <div class="card-head">
            <h2>{t('dashboard.channels.title')}</h2>
          </div>
          <ChannelTable data={d()} />
        </section>
      </div>

      <section class="card">
        <div class="card-head">
          <h2>{t('dashboard.users.title')}</h2>
        </div>
        <TopUsers data={d()} money={money} />
      </section>
    </>
  );
}

function modelSlices(data: Dashboard) {
  return data.models.map((m, i) => ({
    label: m.model ?? t('chart.otherModels'),
    value: m.requests,
    color: sliceColor(i, m.model === null),
  }));
}

function ChannelTable(props: { data: Dashboard | undefined }) {
  return (
    <Show when={props.data} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
      {(data) => (
        <Show
          when={data().channels.length > 0}
          fallback={<p class="empty-state">{t('dashboard.channels.empty')}</p>}
        >
          <div class="table-wrap">
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
          </div>
        </Show>
      )}
    </Show>
  );
}

function TopUsers(props: { data: Dashboard | undefined; money: (units: number) => string }) {
  return (
    <Show when={props.data} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
      {(data) => (
        <Show
          when={data().topUsers.length > 0}
          fallback={<p class="empty-state">{t('dashboard.users.empty')}</p>}
        >
          <div class="table-wrap">
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
          </div>
        </Show>
      )}
    </Show>
  );
}
