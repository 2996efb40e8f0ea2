import {
  createTokenSchema,
  updateTokenSchema,
} from '@tollgate/control-plane/modules/tokens/tokens.schemas.ts';
import { type DisplayCurrency, unitsToCurrencyText } from '@tollgate/shared/currency.ts';
import { createSignal, For, Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import { firstIssue, readAmount, unitsLabel } from '~/lib/currency-input.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import type { RouterInputs, RouterOutputs, TokenRow } from '~/lib/types.ts';

export type TokenOptions = RouterOutputs['tokens']['options'];
type CreateInput = RouterInputs['tokens']['create'];
type UpdateInput = RouterInputs['tokens']['update'];

/** `YYYY-MM-DD` of a local date, for `<input type="date">`. */
function dateInputValue(ms: number | null): string {
  if (ms === null) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The end of the chosen local day. */
function endOfDay(date: string): number {
  return new Date(`${date}T23:59:59`).getTime();
}

/** "a, b\nc" → ["a","b","c"] */
function splitEntries(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const sameList = (a: readonly string[] | null, b: readonly string[] | null) =>
  (a ?? []).join('\n') === (b ?? []).join('\n');

/**
 * The key form (SPEC §3 fields): name, expiry, quota or unlimited, group among the user's allowed
 * groups, allowed models, allowed IPs/CIDRs and RPM. Validated here with the server's own zod schemas;
 * in edit mode only the fields that changed are sent.
 */
export function TokenForm(props: {
  options: TokenOptions;
  /** the key being edited; absent = create */
  token?: TokenRow;
  busy: boolean;
  onSubmit: (input: { create: CreateInput } | { update: UpdateInput }) => void;
  onCancel?: () => void;
  onInvalid: (message: string) => void;
}) {
  const hydrated = useHydrated();
  const money = () => ({
    quotaPerUnit: props.options.quotaPerUnit,
    currency: props.options.currency as DisplayCurrency,
  });
  const tok = props.token;
  const [name, setName] = createSignal(tok?.name ?? '');
  const [expiry, setExpiry] = createSignal(dateInputValue(tok?.expiresAt ?? null));
  const [unlimited, setUnlimited] = createSignal(tok ? tok.unlimitedQuota : props.options.defaultUnlimited);
  const initialQuota =
    tok && !tok.unlimitedQuota ? unitsToCurrencyText(tok.remainQuota, props.options.quotaPerUnit) : '';
  const [quota, setQuota] = createSignal(initialQuota);
  const [group, setGroup] = createSignal(tok?.groupName ?? '');
  const [models, setModels] = createSignal((tok?.models ?? []).join(', '));
  const [ips, setIps] = createSignal((tok?.allowedIps ?? []).join('\n'));
  const [rpm, setRpm] = createSignal(tok?.rpmLimit ? String(tok.rpmLimit) : '');

  const quotaField = () => readAmount(quota(), money());
  const groupChoices = () => {
    const list = [...props.options.groups];
    const current = tok?.groupName;
    if (current && !list.includes(current)) list.push(current);
    return list;
  };

  function collect(): Record<string, unknown> | string {
    if (expiry() && endOfDay(expiry()) <= Date.now() && expiry() !== dateInputValue(tok?.expiresAt ?? null))
      return t('validation.dateInvalid');
    let remainQuota = 0;
    if (!unlimited()) {
      const q = quotaField();
      if (q.kind === 'error') return `${t('tokens.field.quota')}: ${q.message}`;
      if (q.kind === 'empty') return t('tokens.validation.quotaRequired');
      remainQuota = q.units;
    }
    const rpmText = rpm().trim();
    if (rpmText && !/^\d+$/.test(rpmText)) return t('tokens.validation.rpm');
    const modelList = splitEntries(models());
    const ipList = splitEntries(ips());
    return {
      name: name().trim(),
      expiresAt: expiry() ? endOfDay(expiry()) : null,
      unlimitedQuota: unlimited(),
      remainQuota,
      group: group() || null,
      models: modelList.length ? modelList : null,
      allowedIps: ipList.length ? ipList : null,
      rpmLimit: rpmText ? Number(rpmText) : null,
    };
  }

  function submit(e: SubmitEvent) {
    e.preventDefault();
    const v = collect();
    if (typeof v === 'string') return props.onInvalid(v);
    if (!tok) {
      const parsed = createTokenSchema.safeParse(v);
      if (!parsed.success) return props.onInvalid(firstIssue(parsed.error));
      return props.onSubmit({ create: v as CreateInput });
    }
    const patch: Record<string, unknown> = { id: tok.id };
    if (v.name !== tok.name) patch.name = v.name;
    // an unchanged date keeps the exact stored expiry time
    if (expiry() !== dateInputValue(tok.expiresAt)) patch.expiresAt = v.expiresAt;
    if (v.unlimitedQuota !== tok.unlimitedQuota) patch.unlimitedQuota = v.unlimitedQuota;
    // an untouched amount keeps the exact stored units (the text may have been rounded for display)
    if (!v.unlimitedQuota && (tok.unlimitedQuota || quota() !== initialQuota))
      patch.remainQuota = v.remainQuota;
    if (v.group !== tok.groupName) patch.group = v.group;
    if (!sameList(v.models as string[] | null, tok.models)) patch.models = v.models;
    if (!sameList(v.allowedIps as string[] | null, tok.allowedIps)) patch.allowedIps = v.allowedIps;
    if (v.rpmLimit !== tok.rpmLimit) patch.rpmLimit = v.rpmLimit;
    const parsed = updateTokenSchema.safeParse(patch);
    if (!parsed.success) return props.onInvalid(firstIssue(parsed.error));
    props.onSubmit({ update: patch as UpdateInput });
  }

  const prefix = tok ? 'token-edit' : 'token';

  return (
    <form class="form form-grid token-form" onSubmit={submit} novalidate data-testid={`${prefix}-form`}>
      <label class="field">
        <span>{t('tokens.field.name')}</span>
        <input
          type="text"
          data-testid={`${prefix}-name`}
          placeholder={t('tokens.field.namePlaceholder')}
          maxLength={64}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('tokens.field.expiry')}</span>
        <input
          type="date"
          data-testid={`${prefix}-expiry`}
          value={expiry()}
          onInput={(e) => setExpiry(e.currentTarget.value)}
        />
        <span class="hint">{t('tokens.field.expiryHint')}</span>
      </label>
      <div class="field">
        <label class="check check-tight">
          <input
            type="checkbox"
            data-testid={`${prefix}-unlimited`}
            checked={unlimited()}
            onChange={(e) => setUnlimited(e.currentTarget.checked)}
          />
          <span>{t('tokens.field.unlimited')}</span>
        </label>
        <Show when={!unlimited()}>
          <label class="field nested">
            <span>{t('tokens.field.quotaMoney', { currency: props.options.currency })}</span>
            <input
              type="text"
              inputMode="decimal"
              data-testid={`${prefix}-quota`}
              placeholder="10.00"
              value={quota()}
              onInput={(e) => setQuota(e.currentTarget.value)}
            />
            <span class="hint" classList={{ error: quotaField().kind === 'error' }}>
              {(() => {
                const q = quotaField();
                if (q.kind === 'ok') return unitsLabel(q.units);
                if (q.kind === 'error') return q.message;
                return t('tokens.field.quotaHint');
              })()}
            </span>
          </label>
        </Show>
      </div>
      <label class="field">
        <span>{t('tokens.field.group')}</span>
        <select
          data-testid={`${prefix}-group`}
          value={group()}
          onChange={(e) => setGroup(e.currentTarget.value)}
        >
          <option value="">{t('tokens.field.groupAccount', { group: props.options.ownGroup })}</option>
          <For each={groupChoices()}>{(g) => <option value={g}>{g}</option>}</For>
        </select>
        <span class="hint">{t('tokens.field.groupHint')}</span>
      </label>
      <label class="field">
        <span>{t('tokens.field.models')}</span>
        <input
          type="text"
          data-testid={`${prefix}-models`}
          placeholder={t('tokens.field.modelsPlaceholder')}
          value={models()}
          onInput={(e) => setModels(e.currentTarget.value)}
        />
        <span class="hint">{t('tokens.field.modelsHint')}</span>
      </label>
      <label class="field">
        <span>{t('tokens.field.rpm')}</span>
        <input
          type="text"
          inputMode="numeric"
          data-testid={`${prefix}-rpm`}
          placeholder={t('tokens.field.rpmPlaceholder')}
          value={rpm()}
          onInput={(e) => setRpm(e.currentTarget.value)}
        />
      </label>
      <label class="field span-all">
        <span>{t('tokens.field.ips')}</span>
        <textarea
          rows={2}
          data-testid={`${prefix}-ips`}
          placeholder={t('tokens.field.ipsPlaceholder')}
          value={ips()}
          onInput={(e) => setIps(e.currentTarget.value)}
        />
        <span class="hint">{t('tokens.field.ipsHint')}</span>
      </label>
      <div class="form-actions span-all">
        <button
          type="submit"
          class="btn btn-primary"
          data-testid={tok ? 'token-edit-save' : 'token-create'}
          disabled={props.busy || !hydrated()}
        >
          {tok
            ? props.busy
              ? t('tokens.saving')
              : t('tokens.saveChanges')
            : props.busy
              ? t('tokens.creating')
              : t('tokens.submit')}
        </button>
        <Show when={props.onCancel}>
          {(cancel) => (
            <button
              type="button"
              class="btn btn-ghost"
              data-testid={`${prefix}-cancel`}
              onClick={() => cancel()()}
            >
              {t('common.cancel')}
            </button>
          )}
        </Show>
      </div>
    </form>
  );
}
