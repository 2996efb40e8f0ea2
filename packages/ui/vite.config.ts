import { solidStart } from '@solidjs/start/config';
import { nitro } from 'nitro/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [solidStart(), nitro({ preset: 'node_server' })],
  ssr: {
    // the workspace packages are TypeScript sources: bundle them into the server build
    noExternal: ['@tollgate/control-plane', '@tollgate/shared', '@tollgate/migrations'],
    // native / heavy runtime deps of those packages stay external and are resolved at run time
    external: ['mysql2', 'ioredis', 'kysely', 'pino'],
  },
});
