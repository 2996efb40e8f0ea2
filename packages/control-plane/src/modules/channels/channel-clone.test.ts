import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  rid,
  type TestDeps,
  trackConfig,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { cloneChannel, copyName } from './channel-clone.ts';
import { createChannel, getChannel } from './channels.service.ts';

describe('copyName', () => {
  it('appends " (copy)" and still fits the 100-character name column', () => {
    expect(copyName('OpenAI main')).toBe('OpenAI main (copy)');
    const long = copyName('x'.repeat(100));
    expect(long).toHaveLength(100);
    expect(long.endsWith(' (copy)')).toBe(true);
  });
});

describe.each(DB_KINDS)('channels.clone on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);
  afterAll(() => deps?.cleanup());

  const sealed = async (id: number) => {
    const row = await deps.db.db
      .selectFrom('channels')
      .select('keysEncrypted')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return JSON.parse(row.keysEncrypted) as string[];
  };

  it('copies every routing field and the keys (equal after decrypt), disabled, in one snapshot bump', async () => {
    const keys = [`sk-upstream-${rid(16)}`, `second-${rid(16)}`];
    const src = await createChannel(deps, {
      name: 'Primary',
      type: 'openai-compatible',
      baseUrl: 'https://api.upstream.example.test/v1',
      keys,
      models: ['gpt-4o-mini', 'gpt-4.1*'],
      modelMapping: { 'gpt-4o-mini': 'gpt-4o-mini-2024' },
      groups: ['default', 'vip'],
      priority: 7,
      weight: 3,
      testModel: 'gpt-4o-mini',
      balanceThreshold: 1234,
    });
    const { result: copy, bumps, changes } = await trackConfig(deps, () => cloneChannel(deps, src.id));
    expect(bumps).toBe(1);
    expect(changes[0]?.changes).toEqual([{ entity: 'channel', id: String(copy.id), op: 'upsert' }]);
    expect(copy.id).not.toBe(src.id);
    expect(copy.name).toBe('Primary (copy)');
    expect(copy.status).toBe('manual_disabled');
    const pick = (c: typeof src) => ({
      type: c.type,
      baseUrl: c.baseUrl,
      keyMasks: c.keyMasks,
      models: c.models,
      modelMapping: c.modelMapping,
      groups: c.groups,
      priority: c.priority,
      weight: c.weight,
      testModel: c.testModel,
      balanceThreshold: c.balanceThreshold,
    });
    expect(pick(copy)).toEqual(pick(src));
    expect((await sealed(copy.id)).map((b) => deps.channelBox.decrypt(b))).toEqual(keys);
    // the original is untouched
    expect(await getChannel(deps, src.id)).toEqual(src);
  });

  it('through the router: returns masks only, never a key or a sealed box', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const key = `sk-secret-${rid(16)}`;
    const src = await admin.caller.channels.create({
      name: 'Secretive',
      baseUrl: 'https://api.upstream.example.test/v1',
      keys: [key],
      models: ['gpt-4o-mini'],
    });
    const copy = await admin.caller.channels.clone({ id: src.id });
    const boxes = await sealed(copy.id);
    const json = JSON.stringify(copy);
    for (const secret of [key, ...boxes]) expect(json).not.toContain(secret);
    expect(json).not.toMatch(/keysEncrypted|keys_encrypted/);
    expect(copy).not.toHaveProperty('keys');
    expect(copy.keyMasks).toEqual(src.keyMasks);
    expect(deps.channelBox.decrypt(boxes[0]!)).toBe(key);
  });

  it('an unknown channel is NOT_FOUND and creates nothing', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const before = (await admin.caller.channels.list()).length;
    expect((await outcomeOf(() => admin.caller.channels.clone({ id: 2_000_000_000 }))).outcome).toBe(
      'NOT_FOUND',
    );
    expect((await admin.caller.channels.list()).length).toBe(before);
  });

  it('a user gets FORBIDDEN', async () => {
    const admin = await createUserWithSession(deps, 'admin');
    const user = await createUserWithSession(deps, 'user');
    const src = await admin.caller.channels.create({
      name: 'Nope',
      baseUrl: 'https://api.upstream.example.test/v1',
      keys: [`sk-${rid(8)}`],
      models: ['m'],
    });
    expect((await outcomeOf(() => user.caller.channels.clone({ id: src.id }))).outcome).toBe('FORBIDDEN');
  });
});
