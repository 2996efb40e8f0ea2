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

export default function Register() {
  createAsync(() => getGuestOnly(), { deferStream: true });
  const [email, setEmail] = createSignal('');
  const [displayName, setDisplayName] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const hydrated = useHydrated();

  function validate(): string | undefined {
    if (!email().trim()) return t('validation.emailRequired');
    if (!emailPattern.test(email().trim())) return t('validation.emailInvalid');
    if (!password()) return t('validation.passwordRequired');
    if (password().length < 8) return t('validation.passwordShort');
    return undefined;
  }

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const invalid = validate();
    if (invalid) return setError(invalid);
    setError(undefined);
    setBusy(true);
    try {
      const res = await trpc.auth.register.mutate({
        email: email().trim(),
        password: password(),
        displayName: displayName().trim() || undefined,
      });
      window.location.assign(homeFor(res.role));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <AuthCard
      title={t('register.title')}
      subtitle={t('register.subtitle')}
      footer={
        <>
          {t('register.haveAccount')} <A href="/login">{t('register.loginLink')}</A>
        </>
      }
    >
      <Title>
        {t('register.submit')} · {t('app.name')}
      </Title>
      <form class="form" onSubmit={submit} novalidate>
        <Show when={error()}>
          <div class="alert alert-error" role="alert" data-testid="error-message">
            {error()}
          </div>
        </Show>
        <label class="field">
          <span>{t('register.email')}</span>
          <input
            type="email"
            name="email"
            autocomplete="email"
            data-testid="register-email"
            value={email()}
            onInput={(e) => setEmail(e.currentTarget.value)}
            autofocus
          />
        </label>
        <label class="field">
          <span>{t('register.displayName')}</span>
          <input
            type="text"
            name="displayName"
            autocomplete="nickname"
            data-testid="register-display-name"
            value={displayName()}
            onInput={(e) => setDisplayName(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>{t('register.password')}</span>
          <input
            type="password"
            name="password"
            autocomplete="new-password"
            data-testid="register-password"
            value={password()}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <small class="hint">{t('register.passwordHint')}</small>
        </label>
        <button
          type="submit"
          class="btn btn-primary btn-block"
          data-testid="register-submit"
          disabled={busy() || !hydrated()}
        >
          {busy() ? t('register.submitting') : t('register.submit')}
        </button>
      </form>
    </AuthCard>
  );
}
