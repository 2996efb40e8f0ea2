import type { ChartConfiguration, Chart as ChartJs } from 'chart.js';
import { createEffect, createSignal, onCleanup, onMount, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import './dashboard.css';

type ChartsModule = typeof import('~/lib/charts.ts');

/**
 * A Chart.js canvas. Chart.js is loaded and drawn only in the browser, after mount (the server renders
 * an empty frame of the same height); a new `config` updates the chart in place. `data-ready` turns
 * true once it has drawn, for tests and screenshots.
 */
export function ChartCanvas(props: {
  config: ChartConfiguration | undefined;
  /** what the chart shows, for screen readers */
  label: string;
  testId: string;
  height?: number;
  /** show a "no data" note over the frame instead of an empty chart */
  empty?: boolean;
}) {
  let canvas!: HTMLCanvasElement;
  let chart: ChartJs | undefined;
  let drawnType: string | undefined;
  const [lib, setLib] = createSignal<ChartsModule>();
  const [ready, setReady] = createSignal(false);

  onMount(() => {
    void import('~/lib/charts.ts').then((m) => setLib(() => m));
  });

  createEffect(() => {
    const m = lib();
    const config = props.config;
    if (!m || !config) return;
    const type = 'type' in config ? String(config.type) : undefined;
    if (chart && drawnType === type) {
      chart.data = config.data;
      chart.options = config.options ?? {};
      chart.update();
    } else {
      chart?.destroy();
      chart = new m.Chart(canvas, config);
      drawnType = type;
    }
    setReady(true);
  });

  onCleanup(() => chart?.destroy());

  return (
    <div
      class="chart-frame"
      style={{ height: `${props.height ?? 260}px` }}
      data-testid={props.testId}
      data-ready={ready() ? 'true' : 'false'}
    >
      <canvas ref={canvas} role="img" aria-label={props.label} />
      <Show when={props.empty}>
        <div class="chart-empty muted">{t('chart.empty')}</div>
      </Show>
    </div>
  );
}
