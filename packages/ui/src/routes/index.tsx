import { createAsync, type RouteDefinition } from '@solidjs/router';
import { Show } from 'solid-js';
import { t } from '~/i18n/index.ts';
import { getHomeRedirect } from '~/lib/session.ts';

export const route = {
  preload: () => getHomeRedirect(),
} satisfies RouteDefinition;

/** `/` only redirects (on the server): admin → dashboard, user → keys, anyone else → sign-in. */
export default function Home() {
  const done = createAsync(() => getHomeRedirect(), { deferStream: true });
  return (
    <Show when={done() === undefined}>
      <p class="center-note muted">{t('common.loading')}</p>
    </Show>
  );
}
