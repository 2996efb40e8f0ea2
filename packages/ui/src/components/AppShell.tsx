import { A, useLocation } from '@solidjs/router';
import { createEffect, createSignal, For, type JSX, on, onMount, Show } from 'solid-js';
import { LocaleSwitcher } from '~/components/LocaleSwitcher.tsx';
import { takeUnsavedLocale } from '~/i18n/client.ts';
import { getLocale, type Locale, type MessageKey, t } from '~/i18n/index.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import type { Viewer } from '~/lib/session.ts';
import { trpc } from '~/lib/trpc.ts';

export interface NavItem {
  href: string;
  label: MessageKey;
  /** active only on this exact path (an area's index), not on the pages below it */
  end?: boolean;
}

const saveLocale = (locale: Locale) => trpc.account.setLocale.mutate({ locale });

/**
 * The signed-in frame: brand, section nav, language, who is signed in, sign-out. Under 760 px the
 * section nav folds into a menu button.
 */
export function AppShell(props: {
  viewer: Viewer;
  nav: NavItem[];
  area: 'admin' | 'portal';
  children?: JSX.Element;
}) {
  const [signingOut, setSigningOut] = createSignal(false);
  const hydrated = useHydrated();
  const [menuOpen, setMenuOpen] = createSignal(false);
  const location = useLocation();
  createEffect(
    on(
      () => location.pathname,
      () => setMenuOpen(false),
      { defer: true },
    ),
  );
  onMount(() => {
    // a language picked on the sign-in page is saved to the account once signed in
    const unsaved = takeUnsavedLocale();
    if (unsaved && unsaved === getLocale()) void saveLocale(unsaved).catch(() => undefined);
  });
  async function signOut() {
    setSigningOut(true);
    try {
      await trpc.auth.logout.mutate();
    } catch {
      // the session may already be gone; leave anyway
    }
    window.location.assign('/login');
  }
  return (
    <div class="shell">
      <header class="topbar" classList={{ 'menu-open': menuOpen() }}>
        <div class="topbar-inner">
          <A href="/" class="brand">
            <span class="brand-mark" aria-hidden="true">
              {t('app.name').charAt(0)}
            </span>
            <span>{t('app.name')}</span>
            <Show when={props.area === 'admin'}>
              <span class="brand-area">{t('nav.adminBadge')}</span>
            </Show>
          </A>
          <button
            type="button"
            class="nav-toggle btn btn-ghost btn-sm"
            aria-expanded={menuOpen()}
            aria-controls="mainnav"
            aria-label={t('nav.menu')}
            data-testid="nav-toggle"
            onClick={() => setMenuOpen(!menuOpen())}
          >
            <span class="nav-toggle-bars" aria-hidden="true" />
            <span class="nav-toggle-label">{t('nav.menu')}</span>
          </button>
          <nav class="mainnav" id="mainnav" aria-label={t('nav.sections')}>
            <For each={props.nav}>
              {(item) => (
                <A href={item.href} activeClass="active" end={item.end}>
                  {t(item.label)}
                </A>
              )}
            </For>
          </nav>
          <LocaleSwitcher save={saveLocale} />
          <div class="topbar-user">
            <Show when={props.viewer.role === 'admin'}>
              <Show
                when={props.area === 'admin'}
                fallback={
                  <A href="/admin" class="switch-link">
                    {t('nav.admin')}
                  </A>
                }
              >
                <A href="/portal/tokens" class="switch-link">
                  {t('nav.portal')}
                </A>
              </Show>
            </Show>
            <span class="user-email" title={t('nav.signedInAs', { email: props.viewer.email })}>
              {props.viewer.email}
            </span>
            <button
              type="button"
              class="btn btn-ghost btn-sm"
              data-testid="nav-signout"
              title={t('nav.signedInAs', { email: props.viewer.email })}
              disabled={signingOut() || !hydrated()}
              onClick={signOut}
            >
              {t('nav.signOut')}
            </button>
          </div>
        </div>
      </header>
      <main class="content">{props.children}</main>
    </div>
  );
}

export function PageHeader(props: { title: string; subtitle?: string; actions?: JSX.Element }) {
  return (
    <div class="page-header">
      <div>
        <h1>{props.title}</h1>
        <Show when={props.subtitle}>
          <p class="muted">{props.subtitle}</p>
        </Show>
      </div>
      <Show when={props.actions}>
        <div class="page-actions">{props.actions}</div>
      </Show>
    </div>
  );
}
