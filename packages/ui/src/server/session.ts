'use server';
import { redirect } from '@solidjs/router';
import { readCookie, SESSION_COOKIE, type SessionUser, sessionUser } from '@tollgate/control-plane';
import { DB_UNAVAILABLE_MESSAGE } from '@tollgate/control-plane/errors.ts';
import { getRequestEvent } from 'solid-js/web';
import { dbUnavailable, noteDbError } from './db-health.ts';
import { getDeps } from './deps.ts';

/** What the pages may know about the signed-in user (no session hash). */
export interface Viewer {
  id: number;
  email: string;
  displayName: string;
  role: 'user' | 'admin';
  group: string;
}

/** The home page of a role. */
function homeOf(viewer: Viewer | null): string {
  if (!viewer) return '/login';
  return viewer.role === 'admin' ? '/admin' : '/portal/tokens';
}

/**
 * The error a guard throws while the database cannot be reached: only the agreed message, no stack
 * and no driver text (it is serialized into the page and to the browser). The app's error boundary
 * shows the "database unavailable" page for it.
 */
function databaseUnavailable(): Error {
  const err = new Error(DB_UNAVAILABLE_MESSAGE);
  err.stack = `Error: ${DB_UNAVAILABLE_MESSAGE}`;
  return err;
}

async function lookUp(token: string): Promise<SessionUser | undefined> {
  if (dbUnavailable()) throw databaseUnavailable();
  try {
    return await sessionUser(await getDeps(), token);
  } catch (err) {
    if (noteDbError(err)) throw databaseUnavailable();
    throw err;
  }
}

/** Reads the `tg_session` cookie of the current request and resolves it to a user, or null. */
export async function loadViewer(): Promise<Viewer | null> {
  const event = getRequestEvent();
  if (!event) return null;
  const token = readCookie(event.request.headers.get('cookie'), SESSION_COOKIE);
  if (!token) return null;
  const user = await lookUp(token);
  if (!user) return null;
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    group: user.groupName,
  };
}

/** Admin area guard: no session → /login, non-admin → /portal/tokens. */
export async function requireAdmin(): Promise<Viewer> {
  const viewer = await loadViewer();
  if (!viewer) throw redirect('/login');
  if (viewer.role !== 'admin') throw redirect('/portal/tokens');
  return viewer;
}

/** Portal guard: any signed-in user. */
export async function requireUser(): Promise<Viewer> {
  const viewer = await loadViewer();
  if (!viewer) throw redirect('/login');
  return viewer;
}

/** `/`: always redirects to the viewer's home. */
export async function redirectHome(): Promise<never> {
  throw redirect(homeOf(await loadViewer()));
}

/** `/login`, `/register`: a signed-in viewer goes to their home instead. */
export async function redirectIfSignedIn(): Promise<null> {
  const viewer = await loadViewer();
  if (viewer) throw redirect(homeOf(viewer));
  return null;
}
