import { randomBytes } from 'node:crypto';
import {
  type PrivateMariaDb,
  type PrivateRedis,
  startPrivateMariaDb,
  startPrivateRedis,
} from '../harness/private-services.ts';
import { type SiteClient, siteClient } from '../harness/site-client.ts';
import { type Prodlike, startProdlike } from './run.ts';

export interface ProdlikeTestStack {
  mariadb: PrivateMariaDb;
  redis: PrivateRedis;
  p: Prodlike;
  /** the first admin, signed in */
  admin: SiteClient;
  stop(): Promise<void>;
}

/**
 * For tests: a private MariaDB and Redis, the production-like topology on them (relays, site, Nginx
 * with TLS), and its first admin signed in. `env` adds TOLLGATE_* settings (log level `warn` unless set).
 */
export async function startProdlikeTestStack(env: Record<string, string> = {}): Promise<ProdlikeTestStack> {
  const login = { email: 'ops@example.com', password: randomBytes(12).toString('base64url') };
  const [mariadb, redis] = await Promise.all([startPrivateMariaDb(), startPrivateRedis()]);
  const p = await startProdlike({
    sqlDsn: mariadb.url,
    redisUrl: redis.url,
    env: {
      TOLLGATE_ADMIN_EMAIL: login.email,
      TOLLGATE_ADMIN_PASSWORD: login.password,
      TOLLGATE_LOG_LEVEL: 'warn',
      ...env,
    },
  });
  const admin = siteClient(p.siteUrl);
  await admin.auth.login.mutate(login);
  return {
    mariadb,
    redis,
    p,
    admin,
    async stop() {
      await p.stop();
      await Promise.all([mariadb.destroy(), redis.destroy()]);
    },
  };
}
