import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { ServiceError } from '../../errors.ts';
import {
  createTestDeps,
  createUserWithSession,
  DB_KINDS,
  rid,
  type TestDeps,
  trackConfig,
  trackFailedConfig,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import type { CreateChannelInput } from './channels.schemas.ts';
import {
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  maskSecret,
  setChannelStatus,
  updateChannel,
} from './channels.service.ts';

function serviceCode(err: unknown): string {
  if (err instanceof ServiceError) return err.code;
  throw err;
}

const input = (over: Partial<CreateChannelInput> = {}): CreateChannelInput => ({
  name: `channel ${rid(3)}`,
  baseUrl: 'https://api.upstream.example.test/v1',
  keys: [`sk-upstream-${rid(16)}`],
  models: ['gpt-4o-mini'],
  ...over,
});

describe('maskSecret', () => {
  it('keeps six leading and four trailing chars of a long key', () => {
    expect(maskSecret('sk-proj-abcdefghijklmnop-wxyz')).toBe('sk-pro…wxyz');
  });

  it('keeps only two chars of a short key', () => {
    expect(maskSecret('abcdefghijkl')).toBe('ab…');
    expect(maskSecret('x')).toBe('x…');
  });
});

describe.each(DB_KINDS)('channels service on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  async function sealedKeys(id: number): Promise<string[]> {
    const row = await deps.db.db
      .selectFrom('channels')
      .select('keysEncrypted')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return (JSON.parse(row.keysEncrypted) as string[]).map((b) => deps.channelBox.decrypt(b));
  }

  describe('createChannel', () => {
    it('stores sealed keys, returns masks and applies defaults', async () => {
      const keys = [`sk-first-${rid(12)}`, `second-${rid(12)}`];
      const ch = await createChannel(deps, input({ name: 'main', keys, models: ['gpt-4o', 'claude-*'] }));
      expect(ch).toMatchObject({
        name: 'main',
        type: 'openai-compatible',
        baseUrl: 'https://api.upstream.example.test/v1',
        keyMasks: keys.map(maskSecret),
        models: ['gpt-4o', 'claude-*'],
        modelMapping: {},
        groups: ['default'],
        priority: 0,
        weight: 1,
        testModel: null,
        status: 'enabled',
        statusReason: null,
        balanceThreshold: null,
      });
      expect(ch).not.toHaveProperty('keysEncrypted');
      expect(ch).not.toHaveProperty('keys');
      expect(await sealedKeys(ch.id)).toEqual(keys);
      expect(JSON.stringify(ch)).not.toContain(keys[0]);
    });

    it('bumps config_version by exactly one and names the channel', async () => {
      const published = deps.published.length;
      const { result, bumps, changes } = await trackConfig(deps, () => createChannel(deps, input()));
      expect(bumps).toBe(1);
      expect(changes).toHaveLength(1);
      expect(changes[0]!.changes).toEqual([{ entity: 'channel', id: String(result.id), op: 'upsert' }]);
      expect(deps.published.slice(published)).toEqual([changes[0]]);
    });

    it('rejects invalid input without writing', async () => {
      const before = (await listChannels(deps)).length;
      for (const bad of [
        input({ name: '' }),
        input({ baseUrl: 'ftp://upstream.example.test' }),
        input({ baseUrl: 'not a url' }),
        input({ keys: [] }),
        input({ keys: [''] }),
        input({ models: [] }),
        input({ models: ['gpt-*-mini'] }),
        input({ groups: [] }),
        input({ weight: -1 }),
        input({ priority: 1001 }),
        input({ type: 'made-up' as 'openai-compatible' }),
      ]) {
        const { error, bumps } = await trackFailedConfig(deps, () => createChannel(deps, bad));
        expect(error).toBeInstanceOf(ZodError);
        expect(bumps).toBe(0);
      }
      expect((await listChannels(deps)).length).toBe(before);
    });

    it('returns BAD_REQUEST through the router for invalid input', async () => {
      const admin = await createUserWithSession(deps, 'admin');
      expect(
        (await outcomeOf(() => admin.caller.channels.create(input({ baseUrl: 'javascript:alert(1)' }))))
          .outcome,
      ).toBe('BAD_REQUEST');
    });

    it('accepts the longest test model and base URL the columns hold, refuses longer', async () => {
      const ch = await createChannel(deps, input({ testModel: 't'.repeat(128) }));
      expect(ch.testModel).toHaveLength(128);
      const url = `https://upstream.example.test/${'p'.repeat(500 - 30)}`;
      expect(url).toHaveLength(500);
      expect((await createChannel(deps, input({ baseUrl: url }))).baseUrl).toBe(url);
      await expect(createChannel(deps, input({ baseUrl: `${url}p` }))).rejects.toThrow();
      await expect(createChannel(deps, input({ testModel: 't'.repeat(129) }))).rejects.toThrow();
    });
  });

  describe('reads', () => {
    it('lists by priority (highest first), then id', async () => {
      const low = await createChannel(deps, input({ priority: -900 }));
      const high = await createChannel(deps, input({ priority: 900 }));
      const mid1 = await createChannel(deps, input({ priority: 500 }));
      const mid2 = await createChannel(deps, input({ priority: 500 }));
      const ids = (await listChannels(deps)).map((c) => c.id);
      const mine = ids.filter((id) => [low.id, high.id, mid1.id, mid2.id].includes(id));
      expect(mine).toEqual([high.id, mid1.id, mid2.id, low.id]);
    });

    it('getChannel is NOT_FOUND for an unknown id', async () => {
      await expect(getChannel(deps, 2_000_000_000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('updateChannel', () => {
    it('changes the given fields and keeps the keys when none are sent', async () => {
      const keys = [`sk-keep-${rid(12)}`];
      const ch = await createChannel(deps, input({ keys, testModel: 'gpt-4o-mini', balanceThreshold: 10 }));
      const updated = await updateChannel(deps, {
        id: ch.id,
        name: 'renamed',
        weight: 7,
        modelMapping: { 'gpt-4o': 'gpt-4o-2024-08-06' },
        groups: ['default', 'vip'],
        testModel: null,
      });
      expect(updated).toMatchObject({
        name: 'renamed',
        weight: 7,
        modelMapping: { 'gpt-4o': 'gpt-4o-2024-08-06' },
        groups: ['default', 'vip'],
        testModel: null,
        balanceThreshold: 10,
        keyMasks: keys.map(maskSecret),
        models: ['gpt-4o-mini'],
      });
      expect(await sealedKeys(ch.id)).toEqual(keys);
    });

    it('replaces keys and masks when keys are sent', async () => {
      const ch = await createChannel(deps, input());
      const next = [`sk-new-one-${rid(12)}`, `sk-new-two-${rid(12)}`];
      const updated = await updateChannel(deps, { id: ch.id, keys: next });
      expect(updated.keyMasks).toEqual(next.map(maskSecret));
      expect(await sealedKeys(ch.id)).toEqual(next);
    });

    it('bumps the version once and names the channel', async () => {
      const ch = await createChannel(deps, input());
      const { bumps, changes } = await trackConfig(deps, () =>
        updateChannel(deps, { id: ch.id, priority: 3 }),
      );
      expect(bumps).toBe(1);
      expect(changes.map((c) => c.changes)).toEqual([
        [{ entity: 'channel', id: String(ch.id), op: 'upsert' }],
      ]);
    });

    it('is NOT_FOUND for an unknown id, without a version bump', async () => {
      const { error, bumps } = await trackFailedConfig(deps, () =>
        updateChannel(deps, { id: 2_000_000_000, name: 'x' }),
      );
      expect(serviceCode(error)).toBe('NOT_FOUND');
      expect(bumps).toBe(0);
    });
  });

  describe('setChannelStatus', () => {
    it('disables manually, auto-disables with a reason, and re-enabling clears the reason', async () => {
      const ch = await createChannel(deps, input());
      const manual = await trackConfig(deps, () => setChannelStatus(deps, ch.id, 'manual_disabled'));
      expect(manual.result).toMatchObject({ status: 'manual_disabled', statusReason: null });
      expect(manual.bumps).toBe(1);
      expect(manual.changes[0]!.changes).toEqual([{ entity: 'channel', id: String(ch.id), op: 'upsert' }]);
      const auto = await setChannelStatus(deps, ch.id, 'auto_disabled', 'upstream returned 401');
      expect(auto).toMatchObject({ status: 'auto_disabled', statusReason: 'upstream returned 401' });
      const on = await setChannelStatus(deps, ch.id, 'enabled');
      expect(on).toMatchObject({ status: 'enabled', statusReason: null });
      expect((await setChannelStatus(deps, ch.id, 'enabled')).status).toBe('enabled');
    });

    it('is NOT_FOUND for an unknown id, without a version bump', async () => {
      const { error, bumps } = await trackFailedConfig(deps, () =>
        setChannelStatus(deps, 2_000_000_000, 'enabled'),
      );
      expect(serviceCode(error)).toBe('NOT_FOUND');
      expect(bumps).toBe(0);
    });
  });

  describe('deleteChannel', () => {
    it('deletes and records a delete change; a second delete is NOT_FOUND without a bump', async () => {
      const ch = await createChannel(deps, input());
      const { result, bumps, changes } = await trackConfig(deps, () => deleteChannel(deps, ch.id));
      expect(result).toEqual({ id: ch.id });
      expect(bumps).toBe(1);
      expect(changes[0]!.changes).toEqual([{ entity: 'channel', id: String(ch.id), op: 'delete' }]);
      await expect(getChannel(deps, ch.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const again = await trackFailedConfig(deps, () => deleteChannel(deps, ch.id));
      expect(serviceCode(again.error)).toBe('NOT_FOUND');
      expect(again.bumps).toBe(0);
    });
  });

  it('versions are consecutive across writes and every one has its config_changes row', async () => {
    const ch = await createChannel(deps, input());
    const { bumps, changes } = await trackConfig(deps, async () => {
      await updateChannel(deps, { id: ch.id, weight: 2 });
      await setChannelStatus(deps, ch.id, 'manual_disabled');
      await deleteChannel(deps, ch.id);
    });
    expect(bumps).toBe(3);
    expect(changes).toHaveLength(3);
    const versions = changes.map((c) => c.version);
    expect(versions).toEqual([versions[0], versions[0]! + 1, versions[0]! + 2]);
    expect(changes.map((c) => c.changes[0]!.op)).toEqual(['upsert', 'upsert', 'delete']);
  });
});
