import { buildPatternTable } from '@tollgate/shared/model-match.ts';
import { compileRoutes } from '@tollgate/shared/snapshot/routes.ts';
import type { ChannelEntry, Snapshot } from '@tollgate/shared/snapshot/types.ts';
import { describe, expect, it } from 'vitest';
import { selectChannel } from './select-channel.ts';

function channel(id: number, over: Partial<ChannelEntry> = {}): ChannelEntry {
  return {
    id,
    name: `ch${id}`,
    type: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:1',
    keys: ['k'],
    models: ['gpt-4o'],
    modelMapping: {},
    groups: ['default'],
    priority: 0,
    weight: 1,
    status: 'enabled',
    ...over,
  };
}

function snapshotOf(channels: ChannelEntry[]): Snapshot {
  return {
    version: 1,
    loadedAt: 0,
    tokensByHash: new Map(),
    tokenHashById: new Map(),
    users: new Map(),
    config: {
      channels: new Map(channels.map((c) => [c.id, c])),
      groups: new Map(),
      prices: buildPatternTable([]),
      routes: compileRoutes(channels),
      settings: {},
    },
  };
}

/** A seeded PRNG (mulberry32) so the weighted choice is reproducible. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('selectChannel', () => {
  it('respects weights within ±5% over 2,000 picks', () => {
    const snap = snapshotOf([channel(1, { weight: 1 }), channel(2, { weight: 3 })]);
    const random = seeded(42);
    const counts = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const ch = selectChannel(snap, { group: 'default', model: 'gpt-4o', random })!;
      counts.set(ch.id, (counts.get(ch.id) ?? 0) + 1);
    }
    expect(Math.abs(counts.get(2)! / 2000 - 0.75)).toBeLessThan(0.05);
    expect(Math.abs(counts.get(1)! / 2000 - 0.25)).toBeLessThan(0.05);
  });

  it('uses the highest priority tier first and drops a tier only when it is exhausted', () => {
    const snap = snapshotOf([
      channel(1, { priority: 10 }),
      channel(2, { priority: 10 }),
      channel(3, { priority: 0 }),
    ]);
    const exclude = new Set<number>();
    const first = selectChannel(snap, { group: 'default', model: 'gpt-4o', exclude })!;
    expect([1, 2]).toContain(first.id);
    exclude.add(first.id);
    const second = selectChannel(snap, { group: 'default', model: 'gpt-4o', exclude })!;
    expect([1, 2]).toContain(second.id);
    expect(second.id).not.toBe(first.id);
    exclude.add(second.id);
    expect(selectChannel(snap, { group: 'default', model: 'gpt-4o', exclude })!.id).toBe(3);
    exclude.add(3);
    expect(selectChannel(snap, { group: 'default', model: 'gpt-4o', exclude })).toBeUndefined();
  });

  it('prefers exact names over wildcards, and the longest wildcard prefix', () => {
    const snap = snapshotOf([
      channel(1, { models: ['*'] }),
      channel(2, { models: ['gpt-4*'] }),
      channel(3, { models: ['gpt-4o*'] }),
      channel(4, { models: ['gpt-4o-mini'] }),
    ]);
    const pick = (model: string) => selectChannel(snap, { group: 'default', model })?.id;
    expect(pick('gpt-4o-mini')).toBe(4);
    expect(pick('gpt-4o-2024')).toBe(3);
    expect(pick('gpt-4-turbo')).toBe(2);
    expect(pick('claude-3')).toBe(1);
  });

  it('routes only the groups a channel serves, skips disabled and cooling-down channels', () => {
    const snap = snapshotOf([
      channel(1, { groups: ['vip'] }),
      channel(2, { status: 'manual_disabled' }),
      channel(3, { status: 'auto_disabled' }),
      channel(4),
    ]);
    expect(selectChannel(snap, { group: 'vip', model: 'gpt-4o' })?.id).toBe(1);
    expect(selectChannel(snap, { group: 'default', model: 'gpt-4o' })?.id).toBe(4);
    expect(
      selectChannel(snap, { group: 'default', model: 'gpt-4o', isCoolingDown: (id) => id === 4 }),
    ).toBeUndefined();
    expect(selectChannel(snap, { group: 'nobody', model: 'gpt-4o' })).toBeUndefined();
  });

  it('routes a mapped alias to the channel that maps it', () => {
    const snap = snapshotOf([channel(1, { models: ['gpt-4o'], modelMapping: { fast: 'gpt-4o-mini' } })]);
    expect(selectChannel(snap, { group: 'default', model: 'fast' })?.id).toBe(1);
  });

  it('picks uniformly when every weight is 0', () => {
    const snap = snapshotOf([channel(1, { weight: 0 }), channel(2, { weight: 0 })]);
    const seen = new Set<number>();
    const random = seeded(7);
    for (let i = 0; i < 50; i++)
      seen.add(selectChannel(snap, { group: 'default', model: 'gpt-4o', random })!.id);
    expect([...seen].sort()).toEqual([1, 2]);
  });
});
