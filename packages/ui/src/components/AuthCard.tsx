import type { JSX } from 'solid-js';
import { LocaleSwitcher } from '~/components/LocaleSwitcher.tsx';
import { t } from '~/i18n/index.ts';

/** The centred card of the sign-in and registration pages, with the language switcher in the corner. */
export function AuthCard(props: {
  title: string;
  subtitle: string;
  children: JSX.Element;
  footer: JSX.Element;
}) {
  return (
    <main class="auth-page">
      <LocaleSwitcher class="auth-locale" />
      <div class="auth-brand">
        <span class="brand-mark" aria-hidden="true">
          {t('app.name').charAt(0)}
        </span>
        <div>
          <div class="auth-brand-name">{t('app.name')}</div>
          <div class="muted small">{t('app.tagline')}</div>
        </div>
      </div>
      <div class="card auth-card">
        <h1>{props.title}</h1>
        <p class="muted">{props.subtitle}</p>
        {props.children}
      </div>
      <p class="auth-footer">{props.footer}</p>
    </main>
  );
}

export const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Where a freshly signed-in user lands. */
export function homeFor(role: 'user' | 'admin'): string {
  return role === 'admin' ? '/admin' : '/portal/tokens';
}
