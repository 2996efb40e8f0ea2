import {
  decimalTextSchema,
  referencePriceListSchema,
} from '@tollgate/control-plane/modules/prices/prices.schemas.ts';
import { createSignal, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import { firstIssue, type MoneySettings } from '~/lib/currency-input.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { RouterOutputs } from '~/lib/types.ts';
import './config-pages.css';

type ImportResult = RouterOutputs['prices']['import'];

const EXAMPLE = `{
  "gpt-4o-mini": { "input": 0.15, "output": 0.6, "cached_input": 0.075 },
  "gpt-4o": { "input": 2.5, "output": 10 }
}`;

/**
 * "Import reference prices": a JSON list in USD per 1M tokens, pasted or read from a file. The list
 * becomes cost prices, sold at cost plus the markup; models with an admin-set price are skipped.
 */
export function PriceImport(props: {
  money: MoneySettings;
  scheduled: boolean;
  onDone: (result: ImportResult) => void;
  onError: (message: string) => void;
  onCancel: () => void;
}) {
  const [json, setJson] = createSignal('');
  const [markup, setMarkup] = createSignal('0');
  const [rate, setRate] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [result, setResult] = createSignal<ImportResult>();
  const hydrated = useHydrated();
  const needsRate = () => props.money.currency !== 'USD';

  async function readFile(e: Event & { currentTarget: HTMLInputElement }) {
    const file = e.currentTarget.files?.[0];
    if (file) setJson(await file.text());
  }

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    let parsedJson: unknown;
    try {
      parsedJson = JSON.parse(json());
    } catch {
      return props.onError(t('prices.import.badJson'));
    }
    const list = referencePriceListSchema.safeParse(parsedJson);
    if (!list.success) return props.onError(firstIssue(list.error));
    const m = decimalTextSchema.safeParse(markup());
    if (!m.success) return props.onError(`${t('prices.import.markup')}: ${firstIssue(m.error)}`);
    let usdRate: string | undefined;
    if (needsRate()) {
      const r = decimalTextSchema.safeParse(rate());
      if (!r.success || !rate().trim())
        return props.onError(t('prices.import.rateRequired', { currency: props.money.currency }));
      usdRate = r.data;
    }
    setBusy(true);
    try {
      const res = await trpc.prices.import.mutate({ prices: list.data, markupPercent: m.data, usdRate });
      setResult(res);
      props.onDone(res);
    } catch (err) {
      props.onError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="form" onSubmit={submit} novalidate data-testid="price-import-form">
      <div class="alert alert-info" data-testid="price-import-schedule">
        <span>{props.scheduled ? t('prices.import.scheduledOn') : t('prices.import.scheduledOff')}</span>
      </div>
      <p class="muted small">{t('prices.import.explain')}</p>
      <label class="field">
        <span>{t('prices.import.json')}</span>
        <textarea
          rows="8"
          data-testid="price-import-json"
          placeholder={EXAMPLE}
          value={json()}
          onInput={(e) => setJson(e.currentTarget.value)}
        />
      </label>
      <div class="form-grid">
        <label class="field">
          <span>{t('prices.import.file')}</span>
          <input
            type="file"
            class="file-input"
            accept="application/json,.json"
            data-testid="price-import-file"
            onChange={readFile}
          />
        </label>
        <label class="field">
          <span>{t('prices.import.markup')}</span>
          <div class="input-affix">
            <input
              type="text"
              inputmode="decimal"
              data-testid="price-import-markup"
              value={markup()}
              onInput={(e) => setMarkup(e.currentTarget.value)}
            />
            <span>%</span>
          </div>
          <small class="hint">{t('prices.import.markupHint')}</small>
        </label>
        <Show when={needsRate()}>
          <label class="field">
            <span>{t('prices.import.rate', { currency: props.money.currency })}</span>
            <input
              type="text"
              inputmode="decimal"
              data-testid="price-import-rate"
              placeholder="7.2"
              value={rate()}
              onInput={(e) => setRate(e.currentTarget.value)}
            />
          </label>
        </Show>
      </div>
      <Show when={result()}>
        {(r) => (
          <div class="import-result" data-testid="price-import-result">
            <span class="badge badge-ok">{t('prices.import.added', { n: r().added })}</span>
            <span class="badge badge-info">{t('prices.import.updated', { n: r().updated })}</span>
            <span class="badge badge-plain">{t('prices.import.unchanged', { n: r().unchanged })}</span>
            <span class="badge badge-warn" title={r().skippedModels.join(', ')}>
              {t('prices.import.skipped', { n: r().skipped })}
            </span>
          </div>
        )}
      </Show>
      <div class="form-actions">
        <button
          type="submit"
          class="btn btn-primary"
          data-testid="price-import-submit"
          disabled={busy() || !hydrated() || !json().trim()}
        >
          {busy() ? t('prices.import.importing') : t('prices.import.submit')}
        </button>
        <button type="button" class="btn btn-ghost" onClick={() => props.onCancel()}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
