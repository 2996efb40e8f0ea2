import { compileIpList, normaliseIp } from '@tollgate/shared/ip-match.ts';
import { createMiddleware } from 'hono/factory';
import type { RelayEnv } from '../env.ts';
import { headerOf } from '../incoming.ts';

/**
 * Sets `clientIp`: the socket's peer, or — only when that peer is a configured trusted proxy — the
 * right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
 */
export function clientIp(trustedProxies: readonly string[]) {
  const trusted = compileIpList(trustedProxies);
  const anyTrusted = trustedProxies.length > 0;
  return createMiddleware<RelayEnv>(async (c, next) => {
    const peer = normaliseIp(c.env?.incoming?.socket.remoteAddress ?? '');
    let ip = peer;
    if (anyTrusted && trusted(peer)) {
      const xff = headerOf(c, 'x-forwarded-for');
      if (xff) {
        const hops = xff.split(',').map((h) => normaliseIp(h.trim()));
        for (let i = hops.length - 1; i >= 0; i--) {
          ip = hops[i]!;
          if (!trusted(ip)) break;
        }
      }
    }
    c.set('clientIp', ip);
    await next();
  });
}
