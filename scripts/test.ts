/**
 * `pnpm test`: checks that MariaDB and Redis answer (never skipping the tests that need them),
 * builds the site, runs the whole vitest suite and prints one closing line `N passed, N failed`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { resolve } from 'node:path';

const mysqlUrl = process.env.TOLLGATE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const redisUrl = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(2000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.connect(Number(u.port || defaultPort), u.hostname);
  });
}

const missing: string[] = [];
if (!(await reachable(mysqlUrl, 3306))) missing.push(`MariaDB/MySQL at ${mysqlUrl}`);
if (!(await reachable(redisUrl, 6379))) missing.push(`Redis at ${redisUrl}`);
if (missing.length) {
  console.error(
    `Cannot reach ${missing.join(' and ')}.\n` +
      'The integration and end-to-end tests need both. Start them (see .ci/run), or point the tests at yours:\n' +
      '  TOLLGATE_TEST_MYSQL_URL=mysql://user:pass@host:3306/db TOLLGATE_TEST_REDIS_URL=redis://host:6379 pnpm test',
  );
  process.exit(2);
}

const run = (cmd: string, args: string[], cwd?: string) =>
  spawnSync(cmd, args, { stdio: 'inherit', env: process.env, cwd });

// run the tools with this Node (24) directly: their .bin wrappers would pick `node` from PATH
const build = run(
  process.execPath,
  [resolve('packages/ui/node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
  'packages/ui',
);
if (build.status !== 0) {
  console.error('building the site failed');
  process.exit(build.status ?? 1);
}

mkdirSync('test-artifacts', { recursive: true });
const extra = process.argv.slice(2);
const vitest = run(process.execPath, [
  resolve('node_modules/vitest/vitest.mjs'),
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=test-artifacts/vitest.json',
  ...extra,
]);
try {
  const report = JSON.parse(readFileSync('test-artifacts/vitest.json', 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  const skipped = report.numPendingTests + report.numTodoTests;
  console.log(
    `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
  );
} catch {
  console.log('no test report was written');
}
process.exit(vitest.status ?? 1);
