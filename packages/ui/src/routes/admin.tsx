import { createAsync, type RouteDefinition, type RouteSectionProps } from '@solidjs/router';
import { Show } from 'solid-js';
import { AppShell, type NavItem } from '~/components/AppShell.tsx';
import { getAdminSession } from '~/lib/session.ts';

const nav: NavItem[] = [
  { href: '/admin', label: 'nav.dashboard', end: true },
  { href: '/admin/channels', label: 'nav.channels' },
  { href: '/admin/users', label: 'nav.users' },
  { href: '/admin/prices', label: 'nav.prices' },
  { href: '/admin/groups', label: 'nav.groups' },
  { href: '/admin/settings', label: 'nav.settings' },
  { href: '/admin/logs', label: 'nav.logs' },
  { href: '/admin/payments', label: 'nav.payments' },
  { href: '/admin/codes', label: 'nav.codes' },
  { href: '/admin/alerts', label: 'nav.alerts' },
  { href: '/admin/security', label: 'nav.security' },
];

export const route = {
  preload: () => getAdminSession(),
} satisfies RouteDefinition;

/**
 * Admin area. The guard runs on the server (see ~/server/session.ts): without a session it redirects
 * to /login, a non-admin goes to /portal/tokens. `deferStream` holds the HTML until the guard has
 * answered, so a redirect becomes a real 302 and nothing below renders without an admin session.
 */
export default function AdminLayout(props: RouteSectionProps) {
  const viewer = createAsync(() => getAdminSession(), { deferStream: true });
  return (
    <Show when={viewer()}>
      {(v) => (
        <AppShell viewer={v()} nav={nav} area="admin">
          {props.children}
        </AppShell>
      )}
    </Show>
  );
}
