import { type JSX, Show } from 'solid-js';
import './dashboard.css';

/** One figure of a dashboard: a label, the value, and an optional line of context under it. */
export function StatCard(props: {
  label: string;
  value: JSX.Element;
  sub?: JSX.Element;
  testId: string;
  tone?: 'ok' | 'warn' | 'danger';
  loading?: boolean;
}) {
  return (
    <div class="stat-card" classList={{ 'is-loading': props.loading }} data-testid={props.testId}>
      <div class="stat-label">{props.label}</div>
      <div
        class="stat-value"
        classList={{
          'tone-ok': props.tone === 'ok',
          'tone-warn': props.tone === 'warn',
          'tone-danger': props.tone === 'danger',
        }}
        data-testid={`${props.testId}-value`}
      >
        {props.value}
      </div>
      <Show when={props.sub}>
        <div class="stat-sub muted">{props.sub}</div>
      </Show>
    </div>
  );
}
