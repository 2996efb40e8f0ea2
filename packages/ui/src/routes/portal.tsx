import { createAsync, type RouteDefinition, type RouteSectionProps } from '@solidjs/router';
import { Show } from 'solid-js';
import { AppShell, type NavItem } from '~/components/AppShell.tsx';
import { LowBalanceBanner } from '~/components/LowBalanceBanner.tsx';
import { getUserSession } from '~/lib/session.ts';

const nav: NavItem[] = [
  { href: '/portal/dashboard', label: 'nav.dashboard' },
  { href: '/portal/tokens', label: 'nav.keys' },
  { href: '/portal/usage', label: 'nav.usage' },
  { href: '/portal/topup', label: 'nav.topup' },
  { href: '/portal/statements', label: 'nav.statements' },
  { href: '/portal/docs', label: 'nav.docs' },
  { href: '/portal/account', label: 'nav.account' },
];

export const route = {
  preload: () => getUserSession(),
} satisfies RouteDefinition;

/** User portal: any signed-in user; the server-side guard redirects anyone else to /login. */
export default function PortalLayout(props: RouteSectionProps) {
  const viewer = createAsync(() => getUserSession(), { deferStream: true });
  return (
    <Show when={viewer()}>
      {(v) => (
        <AppShell viewer={v()} nav={nav} area="portal">
          <LowBalanceBanner />
          {props.children}
        </AppShell>
      )}
    </Show>
  );
}
