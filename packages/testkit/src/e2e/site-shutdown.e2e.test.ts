import { describe, expect, it } from 'vitest';
import { startStack } from '../harness/stack.ts';

/**
 * SIGTERM stops the site by itself (systemd, compose and the test harness all rely on it): the HTTP
 * server closes, the jobs stop, and the database pool and Redis connection are closed, so the process
 * exits 0 instead of being killed when the stop timeout runs out.
 */
describe.each(['embedded', 'production'] as const)('site shutdown (%s)', (mode) => {
  it('exits 0 on SIGTERM', async () => {
    const stack = await startStack(mode);
    try {
      const code = await stack.site.stop('SIGTERM');
      expect(stack.site.child.signalCode).toBeNull(); // not SIGKILLed by the harness's 10 s fallback
      expect(code).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});
