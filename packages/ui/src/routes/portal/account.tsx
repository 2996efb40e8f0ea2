import { Title } from '@solidjs/meta';
import {
  LOCALES,
  type Locale,
  updateProfileSchema,
} from '@tollgate/control-plane/modules/account/account.schemas.ts';
import { passwordSchema } from '@tollgate/control-plane/modules/users/users.schemas.ts';
import { type DisplayCurrency, unitsToCurrencyText } from '@tollgate/shared/currency.ts';
import { createEffect, createSignal, For, on, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { switchLocale } from '~/i18n/client.ts';
import { t } from '~/i18n/index.ts';
import { firstIssue, readAmount } from '~/lib/currency-input.ts';
import { formatDate, formatDateTime } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMoney } from '~/lib/money.ts';
import { formatRelative } from '~/lib/relative-time.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import { describeUserAgent } from '~/lib/user-agent.ts';
import '~/components/portal.css';

/**
 * The user's account (SPEC §1, §6): profile, language, low-balance reminder, password, and the
 * signed-in devices with "sign out" per session and "log out everywhere".
 */
export default function AccountPage() {
  const flash = createFlash();
  const hydrated = useHydrated();
  const profile = createLoader(() => trpc.account.profile.query());
  const sessions = createLoader(() => trpc.auth.sessions.query());
  const balance = createLoader(() => trpc.payments.balance.query());

  const [displayName, setDisplayName] = createSignal('');
  const [locale, setLocale] = createSignal<Locale>('en');
  const [threshold, setThreshold] = createSignal('');
  const [current, setCurrent] = createSignal('');
  const [next, setNext] = createSignal('');
  const [confirmNext, setConfirmNext] = createSignal('');
  const [busy, setBusy] = createSignal<string>();

  createEffect(
    on(profile.data, (p) => {
      if (!p) return;
      setDisplayName(p.displayName);
      setLocale(p.locale ?? 'en');
    }),
  );
  createEffect(
    on(balance.data, (b) => {
      if (b) setThreshold(b.ownThreshold === null ? '' : unitsToCurrencyText(b.ownThreshold, b.quotaPerUnit));
    }),
  );

  const money = () => {
    const b = balance.data();
    return { quotaPerUnit: b?.quotaPerUnit ?? 500_000, currency: (b?.currency ?? 'USD') as DisplayCurrency };
  };

  async function act(name: string, fn: () => Promise<void>) {
    setBusy(name);
    try {
      await fn();
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setBusy(undefined);
    }
  }

  function saveProfile(e: SubmitEvent) {
    e.preventDefault();
    const parsed = updateProfileSchema.safeParse({ displayName: displayName() });
    if (!parsed.success) return flash.showError(firstIssue(parsed.error));
    return act('profile', async () => {
      await trpc.account.updateProfile.mutate(parsed.data);
      flash.showSuccess(t('account.profileSaved'));
      await profile.reload();
    });
  }

  /** Saves the language to the account and the cookie, then reloads so the page renders in it. */
  function saveLocale(e: SubmitEvent) {
    e.preventDefault();
    return act('locale', () => switchLocale(locale(), (l) => trpc.account.setLocale.mutate({ locale: l })));
  }

  function saveThreshold(e: SubmitEvent) {
    e.preventDefault();
    const field = readAmount(threshold(), money());
    if (field.kind === 'error') return flash.showError(field.message);
    return act('threshold', async () => {
      await trpc.payments.setThreshold.mutate({ threshold: field.kind === 'ok' ? field.units : null });
      flash.showSuccess(t('account.reminderSaved'));
      await balance.reload();
    });
  }

  function changePassword(e: SubmitEvent) {
    e.preventDefault();
    if (!current()) return flash.showError(t('validation.passwordRequired'));
    const parsed = passwordSchema.safeParse(next());
    if (!parsed.success) return flash.showError(t('validation.passwordShort'));
    if (next() !== confirmNext()) return flash.showError(t('account.password.mismatch'));
    return act('password', async () => {
      const res = await trpc.auth.changePassword.mutate({ current: current(), next: next() });
      setCurrent('');
      setNext('');
      setConfirmNext('');
      flash.showSuccess(t('account.password.changed', { n: res.otherSessionsEnded }));
      await sessions.reload();
    });
  }

  const revoke = (id: string) =>
    act(`session-${id}`, async () => {
      await trpc.auth.revokeSession.mutate({ id });
      flash.showSuccess(t('account.sessions.revoked'));
      await sessions.reload();
    });

  function logoutEverywhere() {
    if (!confirm(t('account.sessions.confirmAll'))) return;
    return act('everywhere', async () => {
      await trpc.auth.logoutEverywhere.mutate();
      window.location.assign('/login');
    });
  }

  return (
    <>
      <Title>
        {t('account.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('account.title')} subtitle={t('account.subtitle')} />
      <FlashMessages flash={flash} />

      <div class="account-grid">
        <section class="card" data-testid="account-profile">
          <h2>{t('account.profile.title')}</h2>
          <Show when={profile.data()} fallback={<p class="muted">{t('common.loading')}</p>}>
            {(p) => (
              <form class="form" onSubmit={saveProfile} novalidate>
                <dl class="facts">
                  <dt>{t('account.profile.email')}</dt>
                  <dd data-testid="account-email">{p().email}</dd>
                  <dt>{t('account.profile.group')}</dt>
                  <dd>
                    <span class="chip">{p().group}</span>
                  </dd>
                  <dt>{t('account.profile.since')}</dt>
                  <dd>{formatDate(p().createdAt)}</dd>
                </dl>
                <label class="field">
                  <span>{t('account.profile.displayName')}</span>
                  <input
                    type="text"
                    maxLength={100}
                    data-testid="account-display-name"
                    value={displayName()}
                    onInput={(e) => setDisplayName(e.currentTarget.value)}
                  />
                </label>
                <div class="form-actions">
                  <button
                    type="submit"
                    class="btn btn-primary"
                    data-testid="account-profile-save"
                    disabled={busy() === 'profile' || !hydrated()}
                  >
                    {t('common.save')}
                  </button>
                </div>
              </form>
            )}
          </Show>
        </section>

        <div>
          <section class="card" data-testid="account-language">
            <h2>{t('account.language.title')}</h2>
            <form class="form" onSubmit={saveLocale} novalidate>
              <div class="choice" role="radiogroup" aria-label={t('account.language.title')}>
                <For each={LOCALES}>
                  {(l) => (
                    <label>
                      <input
                        type="radio"
                        name="locale"
                        value={l}
                        data-testid={`account-locale-${l}`}
                        checked={locale() === l}
                        onChange={() => setLocale(l)}
                      />
                      {t(`account.language.${l}`)}
                    </label>
                  )}
                </For>
              </div>
              <div class="form-actions">
                <button
                  type="submit"
                  class="btn btn-primary"
                  data-testid="account-locale-save"
                  disabled={busy() === 'locale' || !hydrated()}
                >
                  {t('common.save')}
                </button>
              </div>
            </form>
          </section>

          <section class="card" data-testid="account-reminder">
            <h2>{t('account.reminder.title')}</h2>
            <Show when={balance.data()} fallback={<p class="muted">{t('common.loading')}</p>}>
              {(b) => (
                <form class="form" onSubmit={saveThreshold} novalidate>
                  <p class="muted small">
                    {t('account.reminder.balance', { balance: formatMoney(b().balance, money()) })}
                  </p>
                  <label class="field">
                    <span>{t('account.reminder.threshold', { currency: b().currency })}</span>
                    <input
                      type="text"
                      inputMode="decimal"
                      data-testid="account-threshold"
                      placeholder={unitsToCurrencyText(b().threshold, b().quotaPerUnit)}
                      value={threshold()}
                      onInput={(e) => setThreshold(e.currentTarget.value)}
                    />
                    <span class="hint">{t('account.reminder.hint')}</span>
                  </label>
                  <div class="form-actions">
                    <button
                      type="submit"
                      class="btn btn-primary"
                      data-testid="account-threshold-save"
                      disabled={busy() === 'threshold' || !hydrated()}
                    >
                      {t('common.save')}
                    </button>
                  </div>
                </form>
              )}
            </Show>
          </section>
        </div>
      </div>

      <section class="card" data-testid="account-password">
        <h2>{t('account.password.title')}</h2>
        <form class="form form-grid form-grid-3" onSubmit={changePassword} novalidate>
          <label class="field">
            <span>{t('account.password.current')}</span>
            <input
              type="password"
              autocomplete="current-password"
              data-testid="account-password-current"
              value={current()}
              onInput={(e) => setCurrent(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('account.password.next')}</span>
            <input
              type="password"
              autocomplete="new-password"
              data-testid="account-password-next"
              value={next()}
              onInput={(e) => setNext(e.currentTarget.value)}
            />
            <span class="hint">{t('register.passwordHint')}</span>
          </label>
          <label class="field">
            <span>{t('account.password.confirm')}</span>
            <input
              type="password"
              autocomplete="new-password"
              data-testid="account-password-confirm"
              value={confirmNext()}
              onInput={(e) => setConfirmNext(e.currentTarget.value)}
            />
          </label>
          <div class="form-actions span-all">
            <button
              type="submit"
              class="btn btn-primary"
              data-testid="account-password-save"
              disabled={busy() === 'password' || !hydrated()}
            >
              {t('account.password.submit')}
            </button>
            <span class="small muted">{t('account.password.hint')}</span>
          </div>
        </form>
      </section>

      <section class="card" data-testid="account-sessions">
        <div class="card-title-row">
          <h2>{t('account.sessions.title')}</h2>
          <button
            type="button"
            class="btn btn-danger-ghost btn-sm"
            data-testid="account-logout-everywhere"
            disabled={busy() === 'everywhere' || !hydrated()}
            onClick={logoutEverywhere}
          >
            {t('account.sessions.everywhere')}
          </button>
        </div>
        <Show when={sessions.error()}>{(msg) => <div class="alert alert-error">{msg()}</div>}</Show>
        <Show when={sessions.data()} fallback={<p class="muted">{t('common.loading')}</p>}>
          {(rows) => (
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th>{t('account.sessions.col.device')}</th>
                    <th>{t('account.sessions.col.ip')}</th>
                    <th>{t('account.sessions.col.signedIn')}</th>
                    <th>{t('account.sessions.col.lastActive')}</th>
                    <th class="col-actions">{t('common.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={rows()}>
                    {(s) => (
                      <tr data-testid="session-row" data-current={s.current ? 'true' : 'false'}>
                        <td>
                          <div class="cell-strong">
                            {describeUserAgent(s.userAgent) ?? t('account.sessions.unknownDevice')}
                          </div>
                          <Show when={s.current}>
                            <span class="badge badge-ok">{t('account.sessions.current')}</span>
                          </Show>
                        </td>
                        <td class="nowrap mono">{s.ip || t('common.none')}</td>
                        <td class="nowrap">{formatDateTime(s.createdAt)}</td>
                        <td class="nowrap">{formatRelative(s.lastSeenAt, Date.now(), t('common.none'))}</td>
                        <td class="col-actions">
                          <Show when={!s.current}>
                            <button
                              type="button"
                              class="btn btn-ghost btn-sm"
                              data-testid="session-revoke"
                              disabled={busy() === `session-${s.id}`}
                              onClick={() => revoke(s.id)}
                            >
                              {t('account.sessions.signOut')}
                            </button>
                          </Show>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          )}
        </Show>
      </section>
    </>
  );
}
