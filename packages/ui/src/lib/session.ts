import { query } from '@solidjs/router';
import { loadViewer, redirectHome, redirectIfSignedIn, requireAdmin, requireUser } from '~/server/session.ts';

export type { Viewer } from '~/server/session.ts';

/*
 * Route guards. Each wraps a server function ("use server" in ~/server/session.ts): it always runs on
 * the server — directly during SSR, over the server-function endpoint on client navigation — reads the
 * tg_session cookie and throws a redirect when the viewer may not see the route.
 */
export const getViewer = query(() => loadViewer(), 'viewer');
export const getAdminSession = query(() => requireAdmin(), 'session-admin');
export const getUserSession = query(() => requireUser(), 'session-user');
export const getHomeRedirect = query(() => redirectHome(), 'home-redirect');
export const getGuestOnly = query(() => redirectIfSignedIn(), 'guest-only');
