import { createHash, randomBytes } from 'node:crypto';
import type { ControlPlaneDeps } from '../../deps.ts';

export const SESSION_COOKIE = 'tg_session';
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** The signed-in user as the site sees it. */
export interface SessionUser {
  id: number;
  email: string;
  displayName: string;
  role: 'user' | 'admin';
  groupName: string;
  sessionHash: string;
}

/** Creates a server-side session; only its SHA-256 is stored, the random token goes in the cookie. */
export async function createSession(
  deps: Pick<ControlPlaneDeps, 'db' | 'now'>,
  userId: number,
  meta: { ip?: string; userAgent?: string },
): Promise<{ token: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const now = deps.now();
  const expiresAt = now + SESSION_TTL_MS;
  await deps.db.db
    .insertInto('sessions')
    .values({
      idHash: hash(token),
      userId,
      createdAt: now,
      expiresAt,
      lastSeenAt: now,
      ip: (meta.ip ?? '').slice(0, 64),
      userAgent: (meta.userAgent ?? '').slice(0, 255),
    })
    .execute();
  return { token, expiresAt };
}

/** The active user of a session token, or undefined (expired, unknown, or the user is disabled). */
export async function sessionUser(
  deps: Pick<ControlPlaneDeps, 'db' | 'now'>,
  token: string | undefined,
): Promise<SessionUser | undefined> {
  if (!token || token.length > 100) return undefined;
  const idHash = hash(token);
  const row = await deps.db.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.userId')
    .select([
      'users.id',
      'users.email',
      'users.displayName',
      'users.role',
      'users.status',
      'users.groupName',
      'sessions.expiresAt',
    ])
    .where('sessions.idHash', '=', idHash)
    .executeTakeFirst();
  if (!row || row.expiresAt <= deps.now() || row.status !== 'active') return undefined;
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    role: row.role,
    groupName: row.groupName,
    sessionHash: idHash,
  };
}

export async function deleteSession(deps: Pick<ControlPlaneDeps, 'db'>, sessionHash: string): Promise<void> {
  await deps.db.db.deleteFrom('sessions').where('idHash', '=', sessionHash).execute();
}

/** `Set-Cookie` for a session (HttpOnly, SameSite=Lax, Secure when served over TLS). */
export function sessionCookie(token: string, maxAgeMs: number, secure: boolean): string {
  const parts = [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.floor(maxAgeMs / 1000)}`,
  ];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A session as its owner sees it: a short public id (a prefix of the stored hash), never the token. */
export async function listSessions(
  deps: Pick<ControlPlaneDeps, 'db' | 'now'>,
  userId: number,
  currentHash: string,
) {
  const rows = await deps.db.db
    .selectFrom('sessions')
    .select(['idHash', 'createdAt', 'lastSeenAt', 'expiresAt', 'ip', 'userAgent'])
    .where('userId', '=', userId)
    .where('expiresAt', '>', deps.now())
    .orderBy('lastSeenAt', 'desc')
    .execute();
  return rows.map(({ idHash, ...r }) => ({ id: idHash.slice(0, 16), current: idHash === currentHash, ...r }));
}

/** Ends one of the user's own sessions by its public id; another user's session is NOT_FOUND. */
export async function revokeSession(
  deps: Pick<ControlPlaneDeps, 'db'>,
  userId: number,
  publicId: string,
): Promise<boolean> {
  const res = await deps.db.db
    .deleteFrom('sessions')
    .where('userId', '=', userId)
    .where('idHash', 'like', `${publicId.replace(/[^0-9a-f]/g, '')}%`)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Ends every session of the user (optionally keeping one). */
export async function revokeAllSessions(
  deps: Pick<ControlPlaneDeps, 'db'>,
  userId: number,
  keepHash?: string,
): Promise<number> {
  let q = deps.db.db.deleteFrom('sessions').where('userId', '=', userId);
  if (keepHash) q = q.where('idHash', '!=', keepHash);
  return Number((await q.executeTakeFirst()).numDeletedRows);
}
