import { seedLogs, type LogSeed } from '@tollgate/control-plane/modules/logs/logs.fixtures.ts';
import { createDb } from '@tollgate/shared/db/index.ts';
import { readFileSync } from 'node:fs';
import { siteClient } from '../harness/site-client.ts';
import { startStack } from '../harness/stack.ts';

const mode = (process.argv[2] ?? 'embedded') as 'embedded' | 'production';
const N = Number(process.argv[3] ?? 100_000);
const stack = await startStack(mode, process.env.SITE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SITE_NODE_OPTIONS } : {});
try {
  const db = createDb({ sql_dsn: stack.env.TOLLGATE_SQL_DSN, data_dir: stack.env.TOLLGATE_DATA_DIR! });
  const c = siteClient(stack.siteUrl);
  const { userId } = await c.auth.register.mutate({ email: `mem-${Date.now()}@example.com`, password: 'mem-pass-1234' });
  const t0 = Date.now();
  const from = Date.UTC(2031, 0, 1);
  const rows: LogSeed[] = [];
  for (let i = 0; i < N; i++)
    rows.push({ userId, requestId: `req_mem_${i}`, createdAt: from + i, cost: i, note: i % 1000 === 0 ? 'a, "b"\nc' : null });
  await seedLogs({ db }, rows, 1000);
  console.log(`seeded ${N} rows in ${Date.now() - t0} ms`);
  await db.close();
  const login = await fetch(`${stack.siteUrl}/api/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tollgate-csrf': '1' },
    body: JSON.stringify({ email: stack.admin.email, password: stack.admin.password }),
  });
  const cookie = login.headers.getSetCookie().map((x) => x.split(';')[0]).find((x) => x!.startsWith('tg_session='))!;
  const pid = stack.site.child.pid!;
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  const before = rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rss())), 20);
  const t1 = Date.now();
  const res = await fetch(`${stack.siteUrl}/api/export/logs.csv`, { headers: { cookie } });
  let bytes = 0;
  let lines = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (const b of value) if (b === 10) lines++;
  }
  clearInterval(timer);
  console.log(
    `${mode}: status ${res.status}, ${bytes} bytes, ${lines} LF, ${Date.now() - t1} ms; site RSS before ${before.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`,
  );
} finally {
  await stack.stop();
}
