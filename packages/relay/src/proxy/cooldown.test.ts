import { describe, expect, it } from 'vitest';
import { createCooldowns } from './cooldown.ts';

describe('cooldowns', () => {
  it('cools a (channel, model) pair after a failure, renews on each failure and clears on success', () => {
    let now = 1_000;
    const c = createCooldowns(30_000, () => now);
    expect(c.isCoolingDown(1, 'm')).toBe(false);
    c.fail(1, 'm');
    expect(c.isCoolingDown(1, 'm')).toBe(true);
    expect(c.isCoolingDown(1, 'other')).toBe(false);
    expect(c.isCoolingDown(2, 'm')).toBe(false);
    now += 20_000;
    c.fail(1, 'm');
    now += 20_000;
    // 40 s after the first failure, but only 20 s after the renewal
    expect(c.isCoolingDown(1, 'm')).toBe(true);
    expect(c.active()).toBe(1);
    now += 10_001;
    expect(c.isCoolingDown(1, 'm')).toBe(false);
    c.fail(1, 'm');
    c.succeed(1, 'm');
    expect(c.isCoolingDown(1, 'm')).toBe(false);
    expect(c.active()).toBe(0);
  });

  it('does nothing with a zero cooldown', () => {
    const c = createCooldowns(0);
    c.fail(1, 'm');
    expect(c.isCoolingDown(1, 'm')).toBe(false);
  });
});
