import { Title } from '@solidjs/meta';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, type Flash, FlashMessages } from '~/components/Flash.tsx';
import { StatementView } from '~/components/StatementView.tsx';
import { t } from '~/i18n/index.ts';
import { formatDateTime, formatNumber } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMoney } from '~/lib/money.ts';
import { centsText, formatCents, readCents } from '~/lib/payments.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { RouterOutputs } from '~/lib/types.ts';
import '~/components/config-pages.css';
import '~/components/payments.css';

type PaymentSettings = RouterOutputs['payments']['getSettings'];
type SmtpSettings = RouterOutputs['payments']['getSmtp'];

/** Payments: Lemon Squeezy and SMTP settings (secrets write-only), revenue, recent top-ups and webhooks. */
export default function PaymentsPage() {
  const flash = createFlash();
  const settings = createLoader(() => trpc.payments.getSettings.query());
  const smtp = createLoader(() => trpc.payments.getSmtp.query());
  const site = createLoader(() => trpc.settings.get.query());
  const revenue = createLoader(() => trpc.statements.revenue.query({ months: 12 }));
  const topups = createLoader(() => trpc.payments.topups.query({ limit: 50 }));
  const events = createLoader(() => trpc.payments.events.query({ limit: 50 }));
  const display = () => ({
    quotaPerUnit: site.data()?.quota_per_unit ?? 500_000,
    currency: site.data()?.display_currency ?? 'USD',
  });
  const units = (n: number) => formatMoney(n, display());

  return (
    <>
      <Title>
        {t('payments.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('payments.title')} subtitle={t('payments.subtitle')} />
      <FlashMessages flash={flash} />
      <Show when={settings.data()} keyed fallback={<p class="muted">{t('common.loading')}</p>}>
        {(s) => <LemonSqueezyForm initial={s} flash={flash} onSaved={() => settings.reload()} />}
      </Show>
      <Show when={smtp.data()} keyed>
        {(s) => <SmtpForm initial={s} flash={flash} onSaved={() => smtp.reload()} />}
      </Show>

      <section class="card">
        <h2>{t('payments.revenue')}</h2>
        <div class="table-wrap">
          <table class="table" data-testid="revenue-table">
            <thead>
              <tr>
                <th>{t('payments.col.month')}</th>
                <th class="num">{t('payments.col.topups')}</th>
                <th class="num">{t('payments.col.money')}</th>
                <th class="num">{t('payments.col.refunded')}</th>
                <th class="num">{t('payments.col.sold')}</th>
                <th class="num">{t('payments.col.codes')}</th>
                <th class="num">{t('payments.col.usage')}</th>
                <th class="num">{t('payments.col.cost')}</th>
              </tr>
            </thead>
            <tbody>
              <For each={revenue.data()}>
                {(r) => (
                  <tr>
                    <td>{r.month}</td>
                    <td class="num">{formatNumber(r.topups)}</td>
                    <td class="num">{formatCents(r.topupCents, settings.data()?.currency ?? 'USD')}</td>
                    <td class="num">{formatCents(r.refundedCents, settings.data()?.currency ?? 'USD')}</td>
                    <td class="num">{units(r.quotaSold)}</td>
                    <td class="num">{units(r.codeQuota)}</td>
                    <td class="num">{units(r.usage)}</td>
                    <td class="num">{units(r.channelCost)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </section>

      <UserStatement display={display()} flash={flash} />

      <section class="card">
        <h2>{t('payments.recent')}</h2>
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>{t('topup.col.date')}</th>
                <th>{t('payments.col.user')}</th>
                <th>{t('payments.col.order')}</th>
                <th class="num">{t('topup.col.amount')}</th>
                <th class="num">{t('topup.col.quota')}</th>
                <th>{t('topup.col.status')}</th>
              </tr>
            </thead>
            <tbody>
              <For each={topups.data()}>
                {(r) => (
                  <tr>
                    <td class="nowrap">{formatDateTime(r.completedAt ?? r.createdAt)}</td>
                    <td>{r.userEmail}</td>
                    <td class="mono">{r.externalId ?? '—'}</td>
                    <td class="num">{formatCents(r.moneyCents, r.currency)}</td>
                    <td class="num">{units(r.quota)}</td>
                    <td>{r.status}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </section>

      <section class="card">
        <h2>{t('payments.events')}</h2>
        <div class="table-wrap">
          <table class="table" data-testid="payment-events">
            <thead>
              <tr>
                <th>{t('topup.col.date')}</th>
                <th>{t('payments.col.event')}</th>
                <th>{t('payments.col.order')}</th>
                <th>{t('payments.col.outcome')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <For each={events.data()}>
                {(e) => (
                  <tr>
                    <td class="nowrap">{formatDateTime(e.createdAt)}</td>
                    <td class="mono">{e.eventName}</td>
                    <td class="mono">{e.externalId ?? '—'}</td>
                    <td>
                      <span
                        class={`badge ${e.outcome === 'unknown' ? 'badge-warn' : e.outcome === 'credited' ? 'badge-ok' : 'badge-plain'}`}
                      >
                        {e.outcome}
                      </span>
                    </td>
                    <td class="small muted">{e.detail ?? ''}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

function parseTiers(text: string): { minCents: number; bonusPercent: number }[] | undefined {
  const out = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [amount, pct] = part.split(':').map((s) => s.trim());
    const cents = readCents(amount ?? '');
    const percent = Number(pct);
    if (cents === undefined || !Number.isInteger(percent) || percent < 1) return undefined;
    out.push({ minCents: cents, bonusPercent: percent });
  }
  return out;
}

function LemonSqueezyForm(props: { initial: PaymentSettings; flash: Flash; onSaved: () => void }) {
  const hydrated = useHydrated();
  const i = props.initial;
  const [enabled, setEnabled] = createSignal(i.enabled);
  const [storeId, setStoreId] = createSignal(i.storeId);
  const [variantId, setVariantId] = createSignal(i.variantId);
  const [apiKey, setApiKey] = createSignal('');
  const [secret, setSecret] = createSignal('');
  const [currency, setCurrency] = createSignal(i.currency);
  const [amounts, setAmounts] = createSignal(i.amounts.map(centsText).join(', '));
  const [allowCustom, setAllowCustom] = createSignal(i.allowCustomAmount);
  const [min, setMin] = createSignal(centsText(i.minCents));
  const [max, setMax] = createSignal(centsText(i.maxCents));
  const [perUnit, setPerUnit] = createSignal(i.quotaPerUnit === null ? '' : String(i.quotaPerUnit));
  const [tiers, setTiers] = createSignal(
    i.bonusTiers.map((b) => `${centsText(b.minCents)}:${b.bonusPercent}`).join(', '),
  );
  const [saving, setSaving] = createSignal(false);
  const webhookUrl = () =>
    typeof window === 'undefined' ? i.webhookPath : `${window.location.origin}${i.webhookPath}`;

  async function save(e: SubmitEvent, clear?: 'apiKey' | 'webhookSecret') {
    e.preventDefault();
    const amountList = amounts()
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(readCents);
    const minCents = readCents(min());
    const maxCents = readCents(max());
    const bonusTiers = parseTiers(tiers());
    if (
      amountList.some((a) => a === undefined) ||
      minCents === undefined ||
      maxCents === undefined ||
      !bonusTiers
    )
      return props.flash.showError(t('money.invalidAmount'));
    setSaving(true);
    try {
      await trpc.payments.setSettings.mutate({
        enabled: enabled(),
        storeId: storeId().trim(),
        variantId: variantId().trim(),
        currency: currency().trim().toUpperCase(),
        amounts: amountList as number[],
        allowCustomAmount: allowCustom(),
        minCents,
        maxCents,
        quotaPerUnit: perUnit().trim() ? Number(perUnit().trim()) : null,
        bonusTiers,
        ...(apiKey().trim() ? { apiKey: apiKey().trim() } : {}),
        ...(secret().trim() ? { webhookSecret: secret().trim() } : {}),
        ...(clear ? { [clear]: '' } : {}),
      });
      props.flash.showSuccess(t('payments.saved'));
      props.onSaved();
    } catch (err) {
      props.flash.showError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <section class="card">
      <h2>{t('payments.ls')}</h2>
      <form class="form" onSubmit={(e) => save(e)} data-testid="ls-settings">
        <label class="check">
          <input type="checkbox" checked={enabled()} onChange={(e) => setEnabled(e.currentTarget.checked)} />
          <span>{t('payments.enabled')}</span>
        </label>
        <div class="form-grid">
          <label class="field">
            <span>{t('payments.storeId')}</span>
            <input name="storeId" value={storeId()} onInput={(e) => setStoreId(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('payments.variantId')}</span>
            <input
              name="variantId"
              value={variantId()}
              onInput={(e) => setVariantId(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('payments.apiKey')}</span>
            <input
              name="apiKey"
              type="password"
              autocomplete="off"
              data-testid="ls-api-key"
              placeholder={
                i.apiKeySet ? t('payments.secretKeep', { mask: i.apiKeyMask }) : t('payments.secretNone')
              }
              value={apiKey()}
              onInput={(e) => setApiKey(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('payments.webhookSecret')}</span>
            <input
              name="webhookSecret"
              type="password"
              autocomplete="off"
              data-testid="ls-webhook-secret"
              placeholder={
                i.webhookSecretSet
                  ? t('payments.secretKeep', { mask: i.webhookSecretMask })
                  : t('payments.secretNone')
              }
              value={secret()}
              onInput={(e) => setSecret(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('payments.currency')}</span>
            <input name="currency" value={currency()} onInput={(e) => setCurrency(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('payments.amounts')}</span>
            <input name="amounts" value={amounts()} onInput={(e) => setAmounts(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('payments.min')}</span>
            <input name="min" value={min()} onInput={(e) => setMin(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('payments.max')}</span>
            <input name="max" value={max()} onInput={(e) => setMax(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('payments.quotaPerUnit', { currency: currency() })}</span>
            <input
              name="quotaPerUnit"
              inputmode="numeric"
              value={perUnit()}
              onInput={(e) => setPerUnit(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('payments.bonusTiers')}</span>
            <input name="bonusTiers" value={tiers()} onInput={(e) => setTiers(e.currentTarget.value)} />
          </label>
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={allowCustom()}
            onChange={(e) => setAllowCustom(e.currentTarget.checked)}
          />
          <span>{t('payments.allowCustom')}</span>
        </label>
        <p class="small">
          {t('payments.webhookUrl')}: <code data-testid="ls-webhook-url">{webhookUrl()}</code>
        </p>
        <div class="form-actions">
          <button
            type="submit"
            class="btn btn-primary"
            data-testid="ls-save"
            disabled={!hydrated() || saving()}
          >
            {t('common.save')}
          </button>
          <Show when={i.apiKeySet}>
            <button
              type="button"
              class="btn btn-ghost btn-sm"
              onClick={(e) => save(e as unknown as SubmitEvent, 'apiKey')}
            >
              {t('payments.secretClear')} {t('payments.apiKey')}
            </button>
          </Show>
        </div>
      </form>
    </section>
  );
}

function SmtpForm(props: { initial: SmtpSettings; flash: Flash; onSaved: () => void }) {
  const hydrated = useHydrated();
  const i = props.initial;
  const [enabled, setEnabled] = createSignal(i.enabled);
  const [host, setHost] = createSignal(i.host);
  const [port, setPort] = createSignal(String(i.port));
  const [secure, setSecure] = createSignal(i.secure);
  const [user, setUser] = createSignal(i.user);
  const [password, setPassword] = createSignal('');
  const [from, setFrom] = createSignal(i.from);
  const [busy, setBusy] = createSignal(false);

  async function save(e: SubmitEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      await trpc.payments.setSmtp.mutate({
        enabled: enabled(),
        host: host().trim(),
        port: Number(port()),
        secure: secure(),
        user: user().trim(),
        from: from().trim(),
        ...(password() ? { password: password() } : {}),
      });
      props.flash.showSuccess(t('payments.saved'));
      props.onSaved();
    } catch (err) {
      props.flash.showError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function test() {
    setBusy(true);
    try {
      const r = await trpc.payments.testSmtp.mutate();
      if (r.sent) props.flash.showSuccess(t('payments.smtpSent'));
      else props.flash.showError(t('payments.smtpNotSent'));
    } catch (err) {
      props.flash.showError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card">
      <h2>{t('payments.smtp')}</h2>
      <form class="form" onSubmit={save}>
        <label class="check">
          <input type="checkbox" checked={enabled()} onChange={(e) => setEnabled(e.currentTarget.checked)} />
          <span>{t('payments.smtpEnabled')}</span>
        </label>
        <div class="form-grid">
          <label class="field">
            <span>{t('payments.smtpHost')}</span>
            <input value={host()} onInput={(e) => setHost(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('payments.smtpPort')}</span>
            <input inputmode="numeric" value={port()} onInput={(e) => setPort(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('payments.smtpUser')}</span>
            <input value={user()} onInput={(e) => setUser(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('payments.smtpPassword')}</span>
            <input
              type="password"
              autocomplete="off"
              placeholder={
                i.passwordSet ? t('payments.secretKeep', { mask: '••••' }) : t('payments.secretNone')
              }
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('payments.smtpFrom')}</span>
            <input value={from()} onInput={(e) => setFrom(e.currentTarget.value)} />
          </label>
        </div>
        <label class="check">
          <input type="checkbox" checked={secure()} onChange={(e) => setSecure(e.currentTarget.checked)} />
          <span>{t('payments.smtpSecure')}</span>
        </label>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={!hydrated() || busy()}>
            {t('common.save')}
          </button>
          <button type="button" class="btn btn-secondary" disabled={!hydrated() || busy()} onClick={test}>
            {t('payments.smtpTest')}
          </button>
        </div>
      </form>
    </section>
  );
}

function UserStatement(props: { display: { quotaPerUnit: number; currency: string }; flash: Flash }) {
  const [userId, setUserId] = createSignal('');
  const [month, setMonth] = createSignal(new Date().toISOString().slice(0, 7));
  const [data, setData] = createSignal<RouterOutputs['statements']['forUser']>();
  async function show(e: SubmitEvent) {
    e.preventDefault();
    try {
      setData(await trpc.statements.forUser.query({ userId: Number(userId()), month: month() }));
    } catch (err) {
      props.flash.showError(errorMessage(err));
    }
  }
  return (
    <section class="card">
      <h2>{t('payments.userStatement')}</h2>
      <form class="form inline-form" onSubmit={show}>
        <input
          placeholder={t('payments.userId')}
          inputmode="numeric"
          value={userId()}
          onInput={(e) => setUserId(e.currentTarget.value)}
        />
        <input type="month" value={month()} onInput={(e) => setMonth(e.currentTarget.value)} />
        <button type="submit" class="btn btn-secondary">
          {t('payments.show')}
        </button>
        <Show when={data()}>
          {(d) => (
            <a
              class="btn btn-ghost btn-sm"
              href={`/api/export/statement.csv?month=${d().month}&userId=${d().userId}`}
              rel="external"
              download=""
            >
              {t('statements.csv')}
            </a>
          )}
        </Show>
      </form>
      <Show when={data()}>{(d) => <StatementView statement={d()} display={props.display} />}</Show>
    </section>
  );
}
