import { createServer } from 'node:net';
import { createDb, type Db } from '@tollgate/shared/db/index.ts';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlaneDeps } from '../deps.ts';
import { SESSION_COOKIE } from '../modules/auth/sessions.ts';
import { createTestDeps, createUserWithSession, type TestDeps } from '../testing/harness.ts';
import { appRouter } from './app-router.ts';
import { createContext } from './context.ts';

/**
 * The tRPC API while the SQL database cannot be reached: a typed SERVICE_UNAVAILABLE error with a plain
 * message and `data.reason`, HTTP 503, and nothing of the driver's text (host, port, error code) or a
 * stack trace; other driver errors answer "internal error".
 */

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** One HTTP request through tRPC's fetch adapter, as the site serves it. */
async function call(deps: ControlPlaneDeps, path: string, o: { cookie?: string; body?: unknown } = {}) {
  const headers = new Headers({ 'x-tollgate-csrf': '1', 'content-type': 'application/json' });
  if (o.cookie) headers.set('cookie', o.cookie);
  const req = new Request(`http://127.0.0.1/api/trpc/${path}`, {
    method: o.body === undefined ? 'GET' : 'POST',
    headers,
    ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
  });
  const res = await fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: ({ req, resHeaders }) => createContext(deps, req, resHeaders),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: JSON.parse(text) as { error?: { message: string; data: Record<string, unknown> } },
  };
}

describe('tRPC while the database is down', () => {
  let deps: TestDeps;
  let down: ControlPlaneDeps;
  let deadDb: Db;
  let port: number;
  let cookie: string;
  let email: string;

  beforeAll(async () => {
    deps = await createTestDeps({ kind: 'mysql' });
    const admin = await createUserWithSession(deps, 'admin');
    cookie = `${SESSION_COOKIE}=${admin.token}`;
    email = admin.user.email;
    port = await closedPort();
    deadDb = createDb({ sql_dsn: `mysql://root@127.0.0.1:${port}/tollgate`, data_dir: '' }, { poolSize: 1 });
    down = { ...deps, db: deadDb };
  });
  afterAll(async () => {
    await deadDb?.close();
    await deps?.cleanup();
  });

  const expectSafe = (text: string) => {
    for (const leak of ['127.0.0.1', String(port), 'ECONNREFUSED', 'mysql://', 'stack', '    at '])
      expect(text, `the answer leaks "${leak}"`).not.toContain(leak);
  };

  it('a signed-in request (session lookup in createContext): 503 SERVICE_UNAVAILABLE, typed, no driver text', async () => {
    const r = await call(down, 'auth.me', { cookie });
    expect(r.status).toBe(503);
    expect(r.body.error?.message).toBe('database unavailable');
    expect(r.body.error?.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'database_unavailable' });
    expectSafe(r.text);
  });

  it('an anonymous mutation that needs the database (sign-in): the same typed error', async () => {
    const r = await call(down, 'auth.login', { body: { email: 'a@example.com', password: 'whatever-pass' } });
    expect(r.status).toBe(503);
    expect(r.body.error?.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'database_unavailable' });
    expectSafe(r.text);
  });

  it('the same requests work on the live database', async () => {
    const r = await call(deps, 'auth.me', { cookie });
    expect(r.status).toBe(200);
    expect(r.text).toContain(email);
  });

  it('another driver error (a query on a missing table) answers "internal error", not the SQL text', async () => {
    const broken = await createTestDeps({ kind: 'sqlite' });
    try {
      await sql`drop table sessions`.execute(broken.db.db);
      const r = await call(broken, 'auth.me', { cookie: `${SESSION_COOKIE}=whatever` });
      expect(r.status).toBe(500);
      expect(r.body.error?.message).toBe('internal error');
      expect(r.body.error?.data.reason).toBeUndefined();
      expect(r.text).not.toMatch(/sessions|no such table/i);
    } finally {
      await broken.cleanup();
    }
  });
});
