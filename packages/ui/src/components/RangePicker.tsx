import { createSignal, For, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import { presetChoice, RANGE_PRESETS, type RangeChoice, rangeProblem } from '~/lib/dashboard.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import './dashboard.css';

/** Last 7 / 30 / 90 days, or a custom pair of dates (validated here, and again on the server). */
export function RangePicker(props: { value: RangeChoice; onChange: (choice: RangeChoice) => void }) {
  const hydrated = useHydrated();
  const [custom, setCustom] = createSignal(props.value.preset === 'custom');
  const [from, setFrom] = createSignal(props.value.from);
  const [to, setTo] = createSignal(props.value.to);
  const [problem, setProblem] = createSignal<string>();

  function pick(days: (typeof RANGE_PRESETS)[number]) {
    setCustom(false);
    setProblem(undefined);
    const choice = presetChoice(days);
    setFrom(choice.from);
    setTo(choice.to);
    props.onChange(choice);
  }

  function apply(e: SubmitEvent) {
    e.preventDefault();
    const choice: RangeChoice = { preset: 'custom', from: from(), to: to() };
    const bad = rangeProblem(choice);
    setProblem(bad);
    if (!bad) props.onChange(choice);
  }

  return (
    <div class="range-picker">
      <fieldset class="segmented">
        <legend class="sr-only">{t('range.label')}</legend>
        <For each={RANGE_PRESETS}>
          {(days) => (
            <button
              type="button"
              classList={{ active: !custom() && props.value.preset === days }}
              data-testid={`range-${days}`}
              disabled={!hydrated()}
              onClick={() => pick(days)}
            >
              {t('range.days', { n: days })}
            </button>
          )}
        </For>
        <button
          type="button"
          classList={{ active: custom() }}
          data-testid="range-custom"
          disabled={!hydrated()}
          onClick={() => setCustom(true)}
        >
          {t('range.custom')}
        </button>
      </fieldset>
      <Show when={custom()}>
        <form class="range-custom" onSubmit={apply} novalidate>
          <label>
            <span class="sr-only">{t('range.from')}</span>
            <input
              type="date"
              data-testid="range-from"
              aria-label={t('range.from')}
              value={from()}
              onInput={(e) => setFrom(e.currentTarget.value)}
            />
          </label>
          <span class="muted">–</span>
          <label>
            <span class="sr-only">{t('range.to')}</span>
            <input
              type="date"
              data-testid="range-to"
              aria-label={t('range.to')}
              value={to()}
              onInput={(e) => setTo(e.currentTarget.value)}
            />
          </label>
          <button
            type="submit"
            class="btn btn-secondary btn-sm"
            data-testid="range-apply"
            disabled={!hydrated()}
          >
            {t('range.apply')}
          </button>
        </form>
      </Show>
      <Show when={problem()}>
        <div class="range-problem" role="alert" data-testid="range-error">
          {problem()}
        </div>
      </Show>
    </div>
  );
}
