import { solidStart } from '@solidjs/start/config';
import { nitro } from 'nitro/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [
    // the middleware answers "database unavailable" (503) while the SQL database is down
    solidStart({ middleware: './src/middleware.ts' }),
    nitro({
      preset: 'node_server',
      // keep the database / redis / logging drivers as real packages next to the server output
      // (traced into .output/server/node_modules) instead of inlining them into the bundle
      traceDeps: ['kysely', 'mysql2', 'ioredis', 'pino'],
      // start-up work: deps, migrations, first admin, background jobs
      plugins: ['./src/server/startup.ts'],
      // TOLLGATE_SITE_OUT_DIR builds elsewhere (a private copy for one's own tests; default .output)
      ...(process.env.TOLLGATE_SITE_OUT_DIR ? { output: { dir: process.env.TOLLGATE_SITE_OUT_DIR } } : {}),
    }),
  ],
  ssr: {
    // the workspace packages are TypeScript sources: bundle them into the server build
    noExternal: ['@tollgate/control-plane', '@tollgate/shared', '@tollgate/migrations'],
    // native / heavy runtime deps of those packages stay external and are resolved at run time
    external: ['mysql2', 'ioredis', 'kysely', 'pino'],
  },
});
