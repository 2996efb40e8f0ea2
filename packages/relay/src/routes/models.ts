import { matchesAny } from '@tollgate/shared/model-match.ts';
import { Hono } from 'hono';
import type { AuthContext, RelayEnv } from '../env.ts';
import { RelayError } from '../errors.ts';
import { routeTiers } from '../proxy/select-channel.ts';

/** Model names the key may call: routed exact names for its group, filtered by the key's list. */
export function modelsFor(auth: AuthContext): string[] {
  const table = auth.snapshot.config.routes.get(auth.group);
  if (!table) return [];
  const names = [...table.exact.keys()];
  const allowed = auth.token.models;
  return (allowed ? names.filter((m) => matchesAny(allowed, m)) : names).sort();
}

const modelObject = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'tollgate' });

/** `GET /v1/models` and `GET /v1/models/{id}`. */
export function modelsRoutes() {
  const app = new Hono<RelayEnv>();
  app.get('/', (c) => c.json({ object: 'list', data: modelsFor(c.get('auth')).map(modelObject) }));
  app.get('/:id{.+}', (c) => {
    const auth = c.get('auth');
    const id = c.req.param('id');
    const allowed = !auth.token.models || matchesAny(auth.token.models, id);
    if (!allowed || !routeTiers(auth.snapshot, auth.group, id))
      throw new RelayError('model_not_found', { param: 'model' });
    return c.json(modelObject(id));
  });
  return app;
}
