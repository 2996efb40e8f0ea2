import { Title } from '@solidjs/meta';
import {
  type SettingsPatch,
  settingsPatchSchema,
} from '@tollgate/control-plane/modules/settings/settings.schemas.ts';
import { DISPLAY_CURRENCIES, type DisplayCurrency, unitsToCurrencyText } from '@tollgate/shared/currency.ts';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, type Flash, FlashMessages } from '~/components/Flash.tsx';
import { t } from '~/i18n/index.ts';
import { firstIssue, money, readAmount, unitsLabel } from '~/lib/currency-input.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { SettingsValues } from '~/lib/types.ts';
import '~/components/config-pages.css';

/** Site-wide settings; every change reaches the relays live through the config bus. */
export default function SettingsPage() {
  const flash = createFlash();
  const data = createLoader(async () => {
    const [settings, groups] = await Promise.all([trpc.settings.get.query(), trpc.groups.list.query()]);
    return { settings, groupNames: groups.map((g) => g.name) };
  });
  return (
    <>
      <Title>
        {t('settings.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('settings.title')} subtitle={t('settings.subtitle')} />
      <FlashMessages flash={flash} />
      <Show when={data.error()}>
        {(msg) => (
          <div class="alert alert-error" data-testid="error-message">
            <span>{msg()}</span>
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => data.reload()}>
              {t('common.retry')}
            </button>
          </div>
        )}
      </Show>
      <Show when={data.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>} keyed>
        {(d) => (
          <SettingsForm
            initial={d.settings}
            groupNames={d.groupNames}
            flash={flash}
            onSaved={() => data.reload()}
          />
        )}
      </Show>
    </>
  );
}

function SettingsForm(props: {
  initial: SettingsValues;
  groupNames: string[];
  flash: Flash;
  onSaved: () => void;
}) {
  const init = props.initial;
  const flash = props.flash;
  const hydrated = useHydrated();
  const [saving, setSaving] = createSignal(false);
  const [siteName, setSiteName] = createSignal(init.site_name);
  const [registrationOpen, setRegistrationOpen] = createSignal(init.registration_open);
  const [currency, setCurrency] = createSignal<DisplayCurrency>(init.display_currency);
  const [quotaPerUnit, setQuotaPerUnit] = createSignal(String(init.quota_per_unit));
  const [credit, setCredit] = createSignal(unitsToCurrencyText(init.new_user_quota, init.quota_per_unit));
  const [freeModels, setFreeModels] = createSignal(init.allow_free_models);
  const [keyUnlimited, setKeyUnlimited] = createSignal(init.default_key_unlimited);
  const [defaultGroup, setDefaultGroup] = createSignal(init.default_group);
  const [selectable, setSelectable] = createSignal<string[]>(init.user_selectable_groups);

  const groupChoices = () =>
    [...new Set([...props.groupNames, init.default_group, ...init.user_selectable_groups])].sort();
  /** the rate typed in the form (the credit converts with it), or the saved one while it is not a number */
  const qpu = () =>
    /^\d+$/.test(quotaPerUnit().trim()) && Number(quotaPerUnit()) > 0
      ? Number(quotaPerUnit())
      : init.quota_per_unit;
  const m = () => ({ quotaPerUnit: qpu(), currency: currency() });
  const creditField = () => readAmount(credit(), m());

  function toggleSelectable(name: string, on: boolean) {
    setSelectable((list) => (on ? [...new Set([...list, name])] : list.filter((n) => n !== name)));
  }

  /** Only the settings that differ from the saved ones. */
  function patch(): SettingsPatch | string {
    if (!/^\d+$/.test(quotaPerUnit().trim()))
      return t('validation.intInvalid', { field: t('settings.field.quotaPerUnit') });
    const c = creditField();
    if (c.kind === 'error') return `${t('settings.field.credit', { currency: currency() })}: ${c.message}`;
    const next: SettingsPatch = {
      site_name: siteName().trim(),
      registration_open: registrationOpen(),
      display_currency: currency(),
      quota_per_unit: Number(quotaPerUnit().trim()),
      new_user_quota: c.kind === 'ok' ? c.units : 0,
      allow_free_models: freeModels(),
      default_key_unlimited: keyUnlimited(),
      default_group: defaultGroup(),
      user_selectable_groups: [...selectable()].sort(),
    };
    const saved = { ...init, user_selectable_groups: [...init.user_selectable_groups].sort() };
    return Object.fromEntries(
      Object.entries(next).filter(
        ([k, v]) => JSON.stringify(v) !== JSON.stringify(saved[k as keyof SettingsValues]),
      ),
    ) as SettingsPatch;
  }

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const p = patch();
    if (typeof p === 'string') return flash.showError(p);
    if (Object.keys(p).length === 0) return flash.showSuccess(t('settings.nothingChanged'));
    const parsed = settingsPatchSchema.safeParse(p);
    if (!parsed.success) return flash.showError(firstIssue(parsed.error));
    setSaving(true);
    try {
      await trpc.settings.set.mutate(p);
      flash.showSuccess(t('settings.saved', { n: Object.keys(p).length }));
      props.onSaved();
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form class="card form" onSubmit={submit} novalidate data-testid="settings-form">
      <section class="form-section">
        <h3>{t('settings.section.site')}</h3>
        <div class="form-grid">
          <label class="field">
            <span>{t('settings.field.siteName')}</span>
            <input
              type="text"
              data-testid="setting-site-name"
              value={siteName()}
              onInput={(e) => setSiteName(e.currentTarget.value)}
            />
          </label>
          <label class="check">
            <input
              type="checkbox"
              data-testid="setting-registration-open"
              checked={registrationOpen()}
              onChange={(e) => setRegistrationOpen(e.currentTarget.checked)}
            />
            <span>{t('settings.field.registrationOpen')}</span>
          </label>
        </div>
      </section>

      <section class="form-section">
        <h3>{t('settings.section.money')}</h3>
        <div class="form-grid">
          <label class="field">
            <span>{t('settings.field.currency')}</span>
            <select
              data-testid="setting-currency"
              value={currency()}
              onChange={(e) => setCurrency(e.currentTarget.value as DisplayCurrency)}
            >
              <For each={DISPLAY_CURRENCIES}>{(c) => <option value={c}>{c}</option>}</For>
            </select>
          </label>
          <label class="field">
            <span>{t('settings.field.quotaPerUnit')}</span>
            <input
              type="text"
              inputmode="numeric"
              data-testid="setting-quota-per-unit"
              value={quotaPerUnit()}
              onInput={(e) => setQuotaPerUnit(e.currentTarget.value)}
            />
            <small class="hint">
              {t('settings.field.quotaPerUnitHint', { currency: currency(), units: unitsLabel(qpu()) })}
            </small>
            <Show when={qpu() !== init.quota_per_unit}>
              <small class="hint warn" data-testid="setting-qpu-warning">
                {t('settings.field.quotaPerUnitWarn')}
              </small>
            </Show>
          </label>
          <label class="field">
            <span>{t('settings.field.credit', { currency: currency() })}</span>
            <input
              type="text"
              inputmode="decimal"
              data-testid="setting-credit"
              value={credit()}
              onInput={(e) => setCredit(e.currentTarget.value)}
            />
            <small class={creditField().kind === 'error' ? 'hint error' : 'hint'}>
              {(() => {
                const c = creditField();
                if (c.kind === 'error') return c.message;
                const units = c.kind === 'ok' ? c.units : 0;
                return t('settings.field.creditHint', {
                  money: money(units, m()),
                  units: unitsLabel(units),
                });
              })()}
            </small>
          </label>
          <label class="check">
            <input
              type="checkbox"
              data-testid="setting-free-models"
              checked={freeModels()}
              onChange={(e) => setFreeModels(e.currentTarget.checked)}
            />
            <span>{t('settings.field.freeModels')}</span>
          </label>
        </div>
      </section>

      <section class="form-section">
        <h3>{t('settings.section.accounts')}</h3>
        <div class="form-grid">
          <label class="field">
            <span>{t('settings.field.defaultGroup')}</span>
            <select
              data-testid="setting-default-group"
              value={defaultGroup()}
              onChange={(e) => setDefaultGroup(e.currentTarget.value)}
            >
              <For each={groupChoices()}>{(g) => <option value={g}>{g}</option>}</For>
            </select>
          </label>
          <label class="check">
            <input
              type="checkbox"
              data-testid="setting-key-unlimited"
              checked={keyUnlimited()}
              onChange={(e) => setKeyUnlimited(e.currentTarget.checked)}
            />
            <span>{t('settings.field.keyUnlimited')}</span>
          </label>
          <div class="field span-all">
            <span>{t('settings.field.selectableGroups')}</span>
            <div class="check-list" data-testid="setting-selectable-groups">
              <For each={groupChoices()}>
                {(g) => (
                  <label class="check">
                    <input
                      type="checkbox"
                      value={g}
                      checked={selectable().includes(g)}
                      onChange={(e) => toggleSelectable(g, e.currentTarget.checked)}
                    />
                    <span>{g}</span>
                  </label>
                )}
              </For>
            </div>
            <small class="hint">{t('settings.field.selectableGroupsHint')}</small>
          </div>
        </div>
      </section>

      <div class="form-actions">
        <button
          type="submit"
          class="btn btn-primary"
          data-testid="settings-submit"
          disabled={saving() || !hydrated()}
        >
          {saving() ? t('settings.saving') : t('settings.submit')}
        </button>
      </div>
    </form>
  );
}
