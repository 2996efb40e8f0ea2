import { defineConfig } from 'vitest/config';

/**
 * One run for the whole suite: unit tests beside the code, integration tests (`*.int.test.ts`) on
 * MariaDB + Redis at 127.0.0.1, end-to-end tests (`*.e2e.test.ts`) with real processes, and browser
 * tests (`*.browser.test.ts`) in headless Chromium. Files run in parallel; tests inside a file in order.
 */
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'migrations/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/.output/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
