import { type SetPriceInput, setPriceSchema } from '@tollgate/control-plane/modules/prices/prices.schemas.ts';
import {
  applyMarkup,
  currencySymbol,
  isDecimalText,
  markupPercentOf,
  unitsToCurrencyText,
} from '@tollgate/shared/currency.ts';
import { createMemo, createSignal, For, type JSX, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import {
  type AmountField,
  firstIssue,
  type MoneySettings,
  money,
  readAmount,
  unitsLabel,
} from '~/lib/currency-input.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import type { PriceRow } from '~/lib/types.ts';
import './config-pages.css';

type Billing = 'tokens' | 'call';
type Mode = 'direct' | 'markup';

/** A currency text field with the exact quota units it converts to underneath. */
function AmountInput(props: {
  label: string;
  testId: string;
  value: string;
  onInput: (v: string) => void;
  money: MoneySettings;
  optional?: boolean;
}) {
  const read = () => readAmount(props.value, props.money);
  return (
    <label class="field">
      <span>{props.label}</span>
      <div class="input-affix">
        <span>{currencySymbol(props.money.currency)}</span>
        <input
          type="text"
          inputmode="decimal"
          data-testid={props.testId}
          placeholder={props.optional ? t('prices.optional') : '0.00'}
          value={props.value}
          onInput={(e) => props.onInput(e.currentTarget.value)}
        />
      </div>
      <AmountHint field={read()} />
    </label>
  );
}

function AmountHint(props: { field: AmountField }): JSX.Element {
  const hint = () => {
    const f = props.field;
    if (f.kind === 'empty') return undefined;
    if (f.kind === 'error') return { cls: 'hint error', text: f.message };
    return f.exact
      ? { cls: 'hint', text: t('prices.equalsUnits', { units: unitsLabel(f.units) }) }
      : { cls: 'hint warn', text: t('prices.roundedUnits', { units: unitsLabel(f.units) }) };
  };
  return <Show when={hint()}>{(h) => <small class={h().cls}>{h().text}</small>}</Show>;
}

/**
 * Create/edit form of a model price. Amounts are typed in the display currency per 1M tokens (or per
 * call) and converted exactly to integer quota units; in "cost + markup" mode the sell prices are the
 * cost prices plus the markup, rounded up to a whole unit. The values are checked with the same zod
 * schema the server uses before they are sent.
 */
export function PriceForm(props: {
  initial?: PriceRow;
  money: MoneySettings;
  busy: boolean;
  onSubmit: (values: SetPriceInput) => void;
  onInvalid: (message: string) => void;
  onCancel?: () => void;
}) {
  const init = props.initial;
  const text = (units: number | null | undefined) =>
    units === null || units === undefined ? '' : unitsToCurrencyText(units, props.money.quotaPerUnit);
  const [model, setModel] = createSignal(init?.model ?? '');
  const [billing, setBilling] = createSignal<Billing>(init && init.perCallPrice !== null ? 'call' : 'tokens');
  const [mode, setMode] = createSignal<Mode>('direct');
  const [input, setInput] = createSignal(text(init?.inputPrice));
  const [cached, setCached] = createSignal(text(init?.cachedInputPrice));
  const [output, setOutput] = createSignal(text(init?.outputPrice));
  const [perCall, setPerCall] = createSignal(text(init?.perCallPrice));
  const [costInput, setCostInput] = createSignal(text(init?.costInputPrice));
  const [costOutput, setCostOutput] = createSignal(text(init?.costOutputPrice));
  const [costPerCall, setCostPerCall] = createSignal(text(init?.costPerCallPrice));
  const [markup, setMarkup] = createSignal(
    (init &&
      markupPercentOf(init.perCallPrice ?? init.inputPrice, init.costPerCallPrice ?? init.costInputPrice)) ??
      '20',
  );
  const hydrated = useHydrated();
  const per = () => (billing() === 'call' ? t('prices.perCallUnit') : t('prices.per1mUnit'));
  const label = (key: Parameters<typeof t>[0]) => `${t(key)} (${per()})`;

  /** units of a field, null when empty; a string is the message of the first bad field */
  function units(value: string, name: string, required: boolean): number | null | string {
    const f = readAmount(value, props.money);
    if (f.kind === 'error') return `${name}: ${f.message}`;
    if (f.kind === 'empty') return required ? t('prices.validation.required', { field: name }) : null;
    return f.units;
  }

  function sellFromCost(cost: number | null): number | null {
    return cost === null ? null : applyMarkup(cost, markup().trim());
  }

  const markupValid = () => isDecimalText(markup());

  /** Everything the form says, as the procedure's input (or the first problem). */
  const values = createMemo((): SetPriceInput | string => {
    const m = model().trim();
    const markupMode = mode() === 'markup';
    if (markupMode && !markupValid()) return t('prices.validation.markup');
    if (billing() === 'call') {
      const cost = units(costPerCall(), t('prices.field.costPerCall'), markupMode);
      if (typeof cost === 'string') return cost;
      const sell = markupMode ? sellFromCost(cost) : units(perCall(), t('prices.field.perCall'), true);
      if (typeof sell === 'string') return sell;
      return {
        model: m,
        inputPrice: 0,
        cachedInputPrice: null,
        outputPrice: 0,
        perCallPrice: sell,
        costInputPrice: null,
        costOutputPrice: null,
        costPerCallPrice: cost,
      };
    }
    const cIn = units(costInput(), t('prices.field.costInput'), markupMode);
    if (typeof cIn === 'string') return cIn;
    const cOut = units(costOutput(), t('prices.field.costOutput'), markupMode);
    if (typeof cOut === 'string') return cOut;
    const inP = markupMode ? sellFromCost(cIn) : units(input(), t('prices.field.input'), true);
    if (typeof inP === 'string') return inP;
    const outP = markupMode ? sellFromCost(cOut) : units(output(), t('prices.field.output'), true);
    if (typeof outP === 'string') return outP;
    const cachedP = units(cached(), t('prices.field.cached'), false);
    if (typeof cachedP === 'string') return cachedP;
    return {
      model: m,
      inputPrice: inP ?? 0,
      cachedInputPrice: cachedP,
      outputPrice: outP ?? 0,
      perCallPrice: null,
      costInputPrice: cIn,
      costOutputPrice: cOut,
      costPerCallPrice: null,
    };
  });

  /** The computed sell prices shown in markup mode. */
  const preview = createMemo(() => {
    const v = values();
    if (typeof v === 'string' || mode() !== 'markup') return [];
    const rows: [string, number][] =
      billing() === 'call'
        ? [[t('prices.field.perCall'), v.perCallPrice ?? 0]]
        : [
            [t('prices.field.input'), v.inputPrice ?? 0],
            [t('prices.field.output'), v.outputPrice ?? 0],
          ];
    return rows;
  });

  function submit(e: SubmitEvent) {
    e.preventDefault();
    const v = values();
    if (typeof v === 'string') return props.onInvalid(v);
    const parsed = setPriceSchema.safeParse(v);
    if (!parsed.success) return props.onInvalid(firstIssue(parsed.error));
    props.onSubmit(v);
  }

  return (
    <form class="form form-grid" onSubmit={submit} novalidate data-testid="price-form">
      <label class="field span-all">
        <span>{t('prices.field.model')}</span>
        <input
          type="text"
          data-testid="price-model"
          placeholder={t('prices.field.modelPlaceholder')}
          value={model()}
          disabled={Boolean(init)}
          onInput={(e) => setModel(e.currentTarget.value)}
        />
        <small class="hint">{t('prices.field.modelHint')}</small>
      </label>
      <div class="field">
        <span>{t('prices.field.billing')}</span>
        <div class="segmented" role="radiogroup">
          <For each={['tokens', 'call'] as const}>
            {(b) => (
              <label>
                <input
                  type="radio"
                  name="price-billing"
                  data-testid={`price-billing-${b}`}
                  checked={billing() === b}
                  onChange={() => setBilling(b)}
                />
                {t(b === 'tokens' ? 'prices.billing.tokens' : 'prices.billing.call')}
              </label>
            )}
          </For>
        </div>
      </div>
      <div class="field">
        <span>{t('prices.field.mode')}</span>
        <div class="segmented" role="radiogroup">
          <For each={['direct', 'markup'] as const}>
            {(m) => (
              <label>
                <input
                  type="radio"
                  name="price-mode"
                  data-testid={`price-mode-${m}`}
                  checked={mode() === m}
                  onChange={() => setMode(m)}
                />
                {t(m === 'direct' ? 'prices.mode.direct' : 'prices.mode.markup')}
              </label>
            )}
          </For>
        </div>
      </div>

      <Show when={mode() === 'markup'}>
        <label class="field">
          <span>{t('prices.field.markup')}</span>
          <div class="input-affix">
            <input
              type="text"
              inputmode="decimal"
              data-testid="price-markup"
              value={markup()}
              onInput={(e) => setMarkup(e.currentTarget.value)}
            />
            <span>%</span>
          </div>
          <Show when={!markupValid()}>
            <small class="hint error">{t('prices.validation.markup')}</small>
          </Show>
        </label>
        <div class="field">
          <span>{t('prices.preview')}</span>
          <div class="preview" data-testid="price-preview">
            <Show
              when={preview().length > 0}
              fallback={<span class="muted">{t('prices.previewEmpty')}</span>}
            >
              <For each={preview()}>
                {([name, u]) => (
                  <span>
                    {name}: <b>{money(u, props.money)}</b> <span class="muted small">({unitsLabel(u)})</span>
                  </span>
                )}
              </For>
            </Show>
          </div>
        </div>
      </Show>

      <Show
        when={billing() === 'tokens'}
        fallback={
          <>
            <Show when={mode() === 'direct'}>
              <AmountInput
                label={label('prices.field.perCall')}
                testId="price-per-call"
                value={perCall()}
                onInput={setPerCall}
                money={props.money}
              />
            </Show>
            <AmountInput
              label={label('prices.field.costPerCall')}
              testId="price-cost-per-call"
              value={costPerCall()}
              onInput={setCostPerCall}
              money={props.money}
              optional={mode() === 'direct'}
            />
          </>
        }
      >
        <Show when={mode() === 'direct'}>
          <AmountInput
            label={label('prices.field.input')}
            testId="price-input"
            value={input()}
            onInput={setInput}
            money={props.money}
          />
          <AmountInput
            label={label('prices.field.output')}
            testId="price-output"
            value={output()}
            onInput={setOutput}
            money={props.money}
          />
        </Show>
        <AmountInput
          label={label('prices.field.costInput')}
          testId="price-cost-input"
          value={costInput()}
          onInput={setCostInput}
          money={props.money}
          optional={mode() === 'direct'}
        />
        <AmountInput
          label={label('prices.field.costOutput')}
          testId="price-cost-output"
          value={costOutput()}
          onInput={setCostOutput}
          money={props.money}
          optional={mode() === 'direct'}
        />
        <AmountInput
          label={label('prices.field.cached')}
          testId="price-cached"
          value={cached()}
          onInput={setCached}
          money={props.money}
          optional
        />
      </Show>

      <div class="form-actions span-all">
        <button
          type="submit"
          class="btn btn-primary"
          data-testid="price-submit"
          disabled={props.busy || !hydrated()}
        >
          {props.busy ? t('prices.saving') : init ? t('prices.submitUpdate') : t('prices.submitCreate')}
        </button>
        <Show when={props.onCancel}>
          {(cancel) => (
            <button type="button" class="btn btn-ghost" data-testid="price-cancel" onClick={() => cancel()()}>
              {t('common.cancel')}
            </button>
          )}
        </Show>
      </div>
    </form>
  );
}
