import { Title } from '@solidjs/meta';
import type { ChartConfiguration } from 'chart.js';
import { createSignal, For, Index, type JSX, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { ChartCanvas } from '~/components/Chart.tsx';
import { RangePicker } from '~/components/RangePicker.tsx';
import { StatCard } from '~/components/StatCard.tsx';
import { t } from '~/i18n/index.ts';
import {
  formatCompact,
  presetChoice,
  type RangeChoice,
  type RangeInput,
  rangeInput,
} from '~/lib/dashboard.ts';
import { createLoader } from '~/lib/loader.ts';
import { type DisplayCurrency, formatMoney } from '~/lib/money.ts';

/*
 * The parts the admin and portal dashboards share: the range-driven loader, the page head with its
 * error alert, a grid of stat cards built from specs, and titled cards holding a chart.
 */

interface DashboardData {
  currency: DisplayCurrency;
  totals: { requests: number; promptTokens: number; completionTokens: number };
}

/** A dashboard's data for the picked range (last 30 days at first), and helpers over it. */
export function createDashboard<T extends DashboardData>(query: (input: RangeInput) => Promise<T>) {
  const [range, setRange] = createSignal<RangeChoice>(presetChoice(30));
  const loader = createLoader(() => query(rangeInput(range())));
  const d = () => loader.data();
  return {
    loader,
    range,
    d,
    choose(choice: RangeChoice) {
      setRange(choice);
      void loader.reload();
    },
    money(units: number) {
      const data = d();
      return data ? formatMoney(units, data.currency) : t('common.none');
    },
    empty: () => (d()?.totals.requests ?? 0) === 0,
  };
}

/** Page title, header with the range picker, and the load error with a retry button. */
function DashboardHeader(props: {
  title: string;
  subtitle: string;
  range: RangeChoice;
  onChange: (choice: RangeChoice) => void;
  error: string | undefined;
  onRetry: () => void;
}) {
  return (
    <>
      <Title>
        {props.title} · {t('app.name')}
      </Title>
      <PageHeader
        title={props.title}
        subtitle={props.subtitle}
        actions={<RangePicker value={props.range} onChange={props.onChange} />}
      />
      <Show when={props.error}>
        {(msg) => (
          <div class="alert alert-error" data-testid="error-message">
            <span>{msg()}</span>
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => props.onRetry()}>
              {t('common.retry')}
            </button>
          </div>
        )}
      </Show>
    </>
  );
}

/** One stat card, its parts read lazily so they follow the data and the locale. */
export interface StatSpec {
  testId: string;
  label: () => string;
  value: () => string;
  sub?: () => JSX.Element;
  tone?: () => 'ok' | 'warn' | 'danger' | undefined;
}

/** The tokens card both dashboards show: input + output in short form, split in the line under it. */
export function tokensCard(
  testId: string,
  prefix: 'dashboard' | 'myDashboard',
  d: () => DashboardData | undefined,
): StatSpec {
  return {
    testId,
    label: () => t(`${prefix}.card.tokens`),
    value: () => {
      const data = d();
      return data ? formatCompact(data.totals.promptTokens + data.totals.completionTokens) : t('common.none');
    },
    sub: () => {
      const data = d();
      return (
        data &&
        t(`${prefix}.card.tokensSub`, {
          input: formatCompact(data.totals.promptTokens),
          output: formatCompact(data.totals.completionTokens),
        })
      );
    },
  };
}

/** A grid of stat cards, one per spec. */
function StatGrid(props: { testId: string; loading: boolean; cards: StatSpec[] }) {
  return (
    <div class="stat-grid" data-testid={props.testId}>
      <For each={props.cards}>
        {(card) => (
          <StatCard
            testId={card.testId}
            label={card.label()}
            loading={props.loading}
            tone={card.tone?.()}
            value={card.value()}
            sub={card.sub?.()}
          />
        )}
      </For>
    </div>
  );
}

/** A titled card of the dashboard grid; `actions` sit next to the title. */
export function DashboardCard(props: { title: string; actions?: JSX.Element; children: JSX.Element }) {
  return (
    <section class="card">
      <div class="card-head">
        <h2>{props.title}</h2>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

/** A titled card holding one chart; the title is also the chart's label for screen readers. */
function ChartCard(props: {
  title: string;
  testId: string;
  config: ChartConfiguration | undefined;
  empty?: boolean;
}) {
  return (
    <DashboardCard title={props.title}>
      <ChartCanvas testId={props.testId} label={props.title} config={props.config} empty={props.empty} />
    </DashboardCard>
  );
}

/** Chart cards in a row of the chart grid, updated in place (by position) when the data changes. */
function ChartCards(props: {
  charts: { title: string; testId: string; config: ChartConfiguration | undefined }[];
  empty?: boolean;
}) {
  return (
    <Index each={props.charts}>
      {(chart) => (
        <ChartCard
          title={chart().title}
          testId={chart().testId}
          config={chart().config}
          empty={props.empty}
        />
      )}
    </Index>
  );
}

/** A whole dashboard page: head, stat cards, the chart grid (charts, then `children`), then `after`. */
export function DashboardPage(props: {
  dash: ReturnType<typeof createDashboard<DashboardData>>;
  title: string;
  subtitle: string;
  cardsTestId: string;
  cards: StatSpec[];
  charts: { title: string; testId: string; config: ChartConfiguration | undefined }[];
  children: JSX.Element;
  after?: JSX.Element;
}) {
  return (
    <>
      <DashboardHeader
        title={props.title}
        subtitle={props.subtitle}
        range={props.dash.range()}
        onChange={props.dash.choose}
        error={props.dash.loader.error()}
        onRetry={() => props.dash.loader.reload()}
      />

      <StatGrid testId={props.cardsTestId} loading={props.dash.loader.loading()} cards={props.cards} />

      <div class="chart-grid">
        <ChartCards empty={props.dash.d() && props.dash.empty()} charts={props.charts} />
        {props.children}
      </div>
      {props.after}
    </>
  );
}
