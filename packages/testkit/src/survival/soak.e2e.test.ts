import { describe, expect, it } from 'vitest';
import type { OpenHandles } from '../bench/proc.ts';
import { checkLeaks, runSoak } from '../bench/soak.ts';

/**
 * The soak in CI form: the same runner as `pnpm bench --soak 600`, for 45 s at 100 req/s (90 %
 * streams) through one relay in production mode (a fresh MariaDB database, a Redis namespace of its
 * own) against the fake upstream. It prints the per-interval figures and asserts what must hold on any
 * machine, however loaded: no failed request, every good answer billed exactly once at the exact price,
 * and no fds or connections left behind once the load is over. Latency and memory are printed, not
 * asserted (the long run's figures are in the notes).
 */
describe('soak (CI length)', () => {
  it('45 s of steady streaming load: no errors, every request billed once, no leaked fds', async () => {
    const seconds = 45;
    const rate = 100;
    const lines: string[] = [];
    const r = await runSoak({
      seconds,
      rate,
      streamShare: 0.9,
      intervalSeconds: 5,
      mode: 'production',
      settleSeconds: 30,
      print: (l) => lines.push(l),
    });
    console.log(lines.join('\n'));

    // the open loop sent exactly what was scheduled, and every answer was good
    expect(r.totals.sent).toBe(seconds * rate);
    expect(r.totals.errors).toEqual({});
    expect(r.totals.ok).toBe(seconds * rate);
    expect(r.totals.streams).toBe(Math.round(seconds * rate * 0.9));
    expect(r.intervals).toHaveLength(seconds / 5);
    expect(r.intervals.reduce((n, i) => n + i.sent, 0)).toBe(seconds * rate);

    // billed exactly once: one usage row per good answer, the same request ids, the exact costs
    const a = r.accounting;
    expect(a.problems).toEqual([]);
    expect(a.rows).toBe(a.successes);
    expect(a.distinctRequestIds).toBe(a.rows);
    expect(a.missing).toBe(0);
    expect(a.unexpected).toBe(0);
    expect(a.loggedCost).toBe(a.expectedCost);
    expect(a.expectedCost).toBeGreaterThan(0);
    expect(a.ok).toBe(true);

    // no leak: once idle again the relay holds what it held at the start, bar its pools
    expect(r.leaks.problems).toEqual([]);
    expect(r.settled.handles).toBeDefined();
    expect(r.settled.handles!.clients).toBeLessThanOrEqual(2);
    // the sampling really saw the relay's sockets: its Redis and MySQL connections, and load on it
    expect(r.start.handles!.redis).toBeGreaterThan(0);
    expect(r.start.handles!.mysql).toBeGreaterThan(0);
    expect(Math.max(...r.intervals.map((i) => i.handles?.clients ?? 0))).toBeGreaterThan(0);
    expect(r.intervals.every((i) => (i.memory?.rss ?? 0) > 0)).toBe(true);
  }, 300_000);

  it('the leak check flags connections, fds and an upstream pool that grow beyond the start', () => {
    const at = (o: Partial<OpenHandles>): OpenHandles => ({
      fds: 30,
      sockets: 9,
      listening: 1,
      clients: 0,
      upstream: 1,
      mysql: 4,
      redis: 3,
      otherSockets: 0,
      ...o,
    });
    const start = at({});
    // a pool of 35 upstream connections after 44 requests at once is a pool, not a leak
    expect(checkLeaks(start, at({ fds: 65, upstream: 35 }), 44, 8).ok).toBe(true);
    expect(checkLeaks(start, at({ fds: 70, clients: 40 }), 44, 8).problems).toEqual([
      '40 client connections still open on the relay',
    ]);
    expect(checkLeaks(start, at({ fds: 50 }), 44, 8).problems[0]).toMatch(/^fds other than sockets/);
    expect(checkLeaks(start, at({ fds: 530, upstream: 500 }), 44, 8).problems).toEqual([
      '500 upstream connections, more than the 44 requests ever open at once (+8)',
    ]);
    expect(checkLeaks(start, undefined, 44, 8).ok).toBe(false);
  });
});
