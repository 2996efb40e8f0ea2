import { extractApiKey, hashApiKey, verifyApiKey } from '@tollgate/shared/api-key.ts';
import { mayUseGroup } from '@tollgate/shared/groups.ts';
import { compileIpList } from '@tollgate/shared/ip-match.ts';
import type { TokenEntry } from '@tollgate/shared/snapshot/types.ts';
import { createMiddleware } from 'hono/factory';
import type { RelayEnv } from '../env.ts';
import { RelayError } from '../errors.ts';
import { headerGetter } from '../incoming.ts';
import type { SnapshotStore } from '../snapshot/store.ts';

const ipMatchers = new WeakMap<TokenEntry, (ip: string) => boolean>();

/** The compiled allow-list of a key, cached per snapshot entry (entries are immutable). */
function allowedIpsOf(token: TokenEntry): (ip: string) => boolean {
  let m = ipMatchers.get(token);
  if (!m) {
    m = compileIpList(token.allowedIps ?? []);
    ipMatchers.set(token, m);
  }
  return m;
}

/**
 * Keys whose signature already verified, with their look-up hash: saves an HMAC and a SHA-256 per
 * request. Only well-signed keys enter (forged ones never touch it); cleared when it grows too big.
 */
const verified = new Map<string, string>();
const VERIFIED_MAX = 100_000;

export interface AuthenticateOptions {
  store: SnapshotStore;
  tokenSecret: string;
  now?: () => number;
}

/**
 * Authenticates the secondary key from `Authorization: Bearer`, `x-api-key` or `api-key` (SPEC §3):
 * the signature is checked first (no state touched for forged keys), then the snapshot — never the
 * database — gives the key, its owner and group.
 */
export function authenticate(o: AuthenticateOptions) {
  const now = o.now ?? Date.now;
  return createMiddleware<RelayEnv>(async (c, next) => {
    const key = extractApiKey(headerGetter(c));
    if (!key) throw new RelayError('invalid_api_key');
    let hash = verified.get(key);
    if (hash === undefined) {
      if (!verifyApiKey(key, o.tokenSecret).ok) throw new RelayError('invalid_api_key');
      hash = hashApiKey(key);
      if (verified.size >= VERIFIED_MAX) verified.clear();
      verified.set(key, hash);
    }
    const snapshot = o.store.current();
    if (!snapshot) throw new RelayError('not_ready');
    const token = snapshot.tokensByHash.get(hash);
    if (!token) throw new RelayError('invalid_api_key');
    if (token.status !== 'enabled') throw new RelayError('key_disabled');
    if (token.expiresAt !== null && token.expiresAt <= now()) throw new RelayError('key_expired');
    const user = snapshot.users.get(token.userId);
    if (!user) throw new RelayError('invalid_api_key');
    if (user.status !== 'active') throw new RelayError('user_disabled');
    if (token.allowedIps && !allowedIpsOf(token)(c.get('clientIp') ?? ''))
      throw new RelayError('ip_not_allowed');
    if (!mayUseGroup(token.group, user.group, snapshot.config.settings))
      throw new RelayError('group_not_allowed');
    const group = token.group ?? user.group;
    c.set('auth', { snapshot, token, user, group, groupEntry: snapshot.config.groups.get(group) });
    await next();
  });
}
