import { Hono } from 'hono';
import type { RelayEnv } from '../env.ts';
import type { SnapshotStore } from '../snapshot/store.ts';

/** `/healthz`: the process answers. `/readyz`: a snapshot is loaded, so requests can be served. */
export function healthRoutes(store: SnapshotStore) {
  const app = new Hono<RelayEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const snap = store.current();
    return snap ? c.json({ status: 'ready', version: snap.version }) : c.json({ status: 'loading' }, 503);
  });
  return app;
}
