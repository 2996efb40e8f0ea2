import { Title } from '@solidjs/meta';
import { A, createAsync, type RouteDefinition } from '@solidjs/router';
import { createSignal, Show } from 'solid-js';
import { AuthCard, emailPattern, homeFor } from '~/components/AuthCard.tsx';
import { t } from '~/i18n/index.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { getGuestOnly } from '~/lib/session.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';

export const route = {
  preload: () => getGuestOnly(),
} satisfies RouteDefinition;

export default function Login() {
  // a signed-in visitor is sent to their home by the server
  createAsync(() => getGuestOnly(), { deferStream: true });
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  // two-factor accounts: the password was right, now the authenticator code
  const [needCode, setNeedCode] = createSignal(false);
  const [code, setCode] = createSignal('');
  const hydrated = useHydrated();

  function validate(): string | undefined {
    if (!email().trim()) return t('validation.emailRequired');
    if (!emailPattern.test(email().trim())) return t('validation.emailInvalid');
    if (!password()) return t('validation.passwordRequired');
    return undefined;
  }

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const invalid = needCode() ? (/^\d{6}$/.test(code()) ? undefined : t('login.codeInvalid')) : validate();
    if (invalid) return setError(invalid);
    setError(undefined);
    setBusy(true);
    try {
      const res = await trpc.auth.login.mutate({
        email: email().trim(),
        password: password(),
        ...(needCode() ? { totp: code() } : {}),
      });
      if ('totpRequired' in res) {
        setNeedCode(true);
        setBusy(false);
        return;
      }
      window.location.assign(homeFor(res.role));
    } catch (err) {
      setError(errorMessage(err));
      setCode('');
      setBusy(false);
    }
  }

  return (
    <AuthCard
      title={t('login.title')}
      subtitle={t('login.subtitle')}
      footer={
        <>
          {t('login.noAccount')} <A href="/register">{t('login.registerLink')}</A>
        </>
      }
    >
      <Title>
        {t('login.submit')} · {t('app.name')}
      </Title>
      <form class="form" onSubmit={submit} novalidate>
        <Show when={error()}>
          <div class="alert alert-error" role="alert" data-testid="error-message">
            {error()}
          </div>
        </Show>
        <Show
          when={needCode()}
          fallback={
            <>
              <label class="field">
                <span>{t('login.email')}</span>
                <input
                  type="email"
                  name="email"
                  autocomplete="username"
                  data-testid="login-email"
                  value={email()}
                  onInput={(e) => setEmail(e.currentTarget.value)}
                  autofocus
                />
              </label>
              <label class="field">
                <span>{t('login.password')}</span>
                <input
                  type="password"
                  name="password"
                  autocomplete="current-password"
                  data-testid="login-password"
                  value={password()}
                  onInput={(e) => setPassword(e.currentTarget.value)}
                />
              </label>
            </>
          }
        >
          <p class="muted" data-testid="login-totp-prompt">
            {t('login.totpPrompt')}
          </p>
          <label class="field">
            <span>{t('login.totpCode')}</span>
            <input
              type="text"
              name="totp"
              inputmode="numeric"
              autocomplete="one-time-code"
              maxlength={7}
              placeholder="123456"
              data-testid="login-totp"
              value={code()}
              onInput={(e) => setCode(e.currentTarget.value.replace(/\D/g, '').slice(0, 6))}
              ref={(el) => setTimeout(() => el.focus())}
            />
          </label>
        </Show>
        <button
          type="submit"
          class="btn btn-primary btn-block"
          data-testid="login-submit"
          disabled={busy() || !hydrated()}
        >
          {busy() ? t('login.submitting') : needCode() ? t('login.totpSubmit') : t('login.submit')}
        </button>
        <Show when={needCode()}>
          <button
            type="button"
            class="btn btn-ghost btn-block"
            data-testid="login-totp-back"
            onClick={() => {
              setNeedCode(false);
              setCode('');
              setError(undefined);
            }}
          >
            {t('login.totpBack')}
          </button>
        </Show>
      </form>
    </AuthCard>
  );
}
