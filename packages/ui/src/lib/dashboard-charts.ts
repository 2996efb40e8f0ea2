import type { ChartConfiguration } from 'chart.js';
import { t } from '~/i18n/index.ts';
import { formatCompact, formatDay, OTHER_COLOR, PALETTE } from './dashboard.ts';
import { formatNumber } from './format.ts';
import { type DisplayCurrency, formatMoney } from './money.ts';

/*
 * Chart.js configurations for the dashboards. Pure data → config: no Chart.js code runs here (type
 * imports only), so pages can build configs during SSR and the canvas draws them in the browser.
 */

const dayLabels = (days: { day: string }[]) => {
  const years = new Set(days.map((d) => d.day.slice(0, 4)));
  return days.map((d) => formatDay(d.day, { year: years.size > 1 }));
};

const countAxis = {
  beginAtZero: true,
  ticks: { precision: 0, callback: (v: number | string) => formatCompact(Number(v)) },
  grid: { color: '#eef0f4' },
  border: { display: false },
};

/** A money axis: display currency ticks, and $0…$1 rather than fractions of a unit when all is zero. */
function moneyAxis(values: number[], currency: DisplayCurrency) {
  return {
    ...countAxis,
    suggestedMax: values.some((v) => v !== 0) ? undefined : currency.quotaPerUnit,
    ticks: { callback: (v: number | string) => formatMoney(Number(v), currency, { compact: true }) },
  };
}

const timeAxis = { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } };

/** Stacked bars per day: successful requests and errors. */
export function requestsChart(days: { day: string; requests: number; errors: number }[]): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: dayLabels(days),
      datasets: [
        {
          label: t('chart.successful'),
          data: days.map((d) => d.requests - d.errors),
          backgroundColor: PALETTE[0],
          borderRadius: 3,
          maxBarThickness: 28,
        },
        {
          label: t('chart.errors'),
          data: days.map((d) => d.errors),
          backgroundColor: '#f87171',
          borderRadius: 3,
          maxBarThickness: 28,
        },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      scales: { x: { ...timeAxis, stacked: true }, y: { ...countAxis, stacked: true } },
      plugins: { legend: { position: 'bottom' } },
    },
  };
}

/** Money lines per day (quota units on the data, the display currency on the axis and tooltips). */
export function moneyChart(
  days: { day: string }[],
  series: { label: string; values: number[]; color: string; fill?: boolean }[],
  currency: DisplayCurrency,
): ChartConfiguration {
  return {
    type: 'line',
    data: {
      labels: dayLabels(days),
      datasets: series.map((s) => ({
        label: s.label,
        data: s.values,
        borderColor: s.color,
        backgroundColor: `${s.color}1f`,
        fill: s.fill ? 'origin' : false,
        cubicInterpolationMode: 'monotone',
        borderWidth: 2,
        pointRadius: days.length > 45 ? 0 : 2.5,
        pointHoverRadius: 4,
      })),
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: timeAxis,
        y: moneyAxis(
          series.flatMap((s) => s.values),
          currency,
        ),
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label}: ${formatMoney(Number(item.raw), currency)}`,
          },
        },
      },
    },
  };
}

/** Bars per day of one money series. */
export function moneyBarChart(
  days: { day: string }[],
  label: string,
  values: number[],
  currency: DisplayCurrency,
): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: dayLabels(days),
      datasets: [{ label, data: values, backgroundColor: PALETTE[0], borderRadius: 3, maxBarThickness: 28 }],
    },
    options: {
      scales: {
        x: timeAxis,
        y: moneyAxis(values, currency),
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${label}: ${formatMoney(Number(item.raw), currency)}` } },
      },
    },
  };
}

/** Bars (left axis) and a line (right axis) per day: requests and tokens. */
export function requestsTokensChart(
  days: { day: string; requests: number; tokens: number }[],
): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: dayLabels(days),
      datasets: [
        {
          type: 'bar',
          label: t('chart.requests'),
          data: days.map((d) => d.requests),
          backgroundColor: PALETTE[0],
          borderRadius: 3,
          maxBarThickness: 28,
          yAxisID: 'y',
          order: 2,
        },
        {
          type: 'line',
          label: t('chart.tokens'),
          data: days.map((d) => d.tokens),
          borderColor: PALETTE[3],
          backgroundColor: PALETTE[3],
          cubicInterpolationMode: 'monotone',
          borderWidth: 2,
          pointRadius: days.length > 45 ? 0 : 2.5,
          yAxisID: 'y1',
          order: 1,
        },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: timeAxis,
        y: countAxis,
        y1: { ...countAxis, position: 'right', grid: { display: false } },
      },
      plugins: { legend: { position: 'bottom', reverse: true } },
    },
  };
}

/** A slice colour: the palette in order, grey for the "other" slice. */
export function sliceColor(index: number, other: boolean): string {
  return other ? OTHER_COLOR : (PALETTE[index % PALETTE.length] ?? OTHER_COLOR);
}

/** Requests per model as a doughnut; the `null` model is the grey "other models" slice. */
export function modelsChart(models: { model: string | null; requests: number }[]): ChartConfiguration {
  return doughnutChart(
    models.map((m, i) => ({
      label: m.model ?? t('chart.otherModels'),
      value: m.requests,
      color: sliceColor(i, m.model === null),
    })),
  );
}

/** A doughnut of named slices (legend on the right). */
export function doughnutChart(
  slices: { label: string; value: number; color: string }[],
  format: (v: number) => string = formatNumber,
): ChartConfiguration {
  const config: ChartConfiguration<'doughnut'> = {
    type: 'doughnut',
    data: {
      labels: slices.map((s) => s.label),
      datasets: [
        {
          data: slices.map((s) => s.value),
          backgroundColor: slices.map((s) => s.color),
          borderColor: '#ffffff',
          borderWidth: 2,
          hoverOffset: 6,
        },
      ],
    },
    options: {
      cutout: '62%',
      plugins: {
        legend: { position: 'right' },
        tooltip: { callbacks: { label: (item) => ` ${item.label}: ${format(Number(item.raw))}` } },
      },
    },
  };
  return config as unknown as ChartConfiguration;
}

/** Horizontal bars, one per row (keys, channels), with a money or count axis. */
export function horizontalBarChart(
  rows: { label: string; value: number }[],
  label: string,
  format: (v: number) => string,
  axisFormat: (v: number) => string = format,
): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: rows.map((r) => r.label),
      datasets: [
        {
          label,
          data: rows.map((r) => r.value),
          backgroundColor: rows.map((_, i) => sliceColor(i, false)),
          borderRadius: 3,
          maxBarThickness: 22,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      scales: {
        x: { ...countAxis, ticks: { callback: (v: number | string) => axisFormat(Number(v)) } },
        y: { grid: { display: false }, border: { display: false } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${label}: ${format(Number(item.raw))}` } },
      },
    },
  };
}
