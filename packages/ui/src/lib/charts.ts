import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { intlLocale } from '~/i18n/index.ts';

/*
 * Chart.js with only the parts the dashboards draw (tree-shaken). Imported dynamically from
 * ~/components/Chart.tsx after mount, so it never runs during SSR and stays out of the first bundle.
 */
Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
Chart.defaults.font.size = 12;
Chart.defaults.color = '#667085';
Chart.defaults.borderColor = '#eef0f4';
Chart.defaults.maintainAspectRatio = false;
// numbers in tooltips and on axes in the page's language
Chart.defaults.locale = intlLocale();
if (window.matchMedia('(prefers-reduced-motion: reduce)').matches) Chart.defaults.animation = false;
Chart.defaults.plugins.legend.labels.boxWidth = 10;
Chart.defaults.plugins.legend.labels.boxHeight = 10;
Chart.defaults.plugins.tooltip.padding = 10;
Chart.defaults.plugins.tooltip.boxPadding = 4;

export { Chart };
