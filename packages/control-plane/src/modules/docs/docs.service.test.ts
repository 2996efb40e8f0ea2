import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anonCaller,
  contextFor,
  createTestDeps,
  DB_KINDS,
  rid,
  seedUser,
  type TestDeps,
} from '../../testing/harness.ts';
import { outcomeOf } from '../../testing/role-matrix.ts';
import { createCaller } from '../../trpc/app-router.ts';
import { createSession } from '../auth/sessions.ts';
import { createChannel, setChannelStatus } from '../channels/channels.service.ts';
import { createGroup } from '../groups/groups.service.ts';
import { setPrice } from '../prices/prices.service.ts';
import { setSettings } from '../settings/settings.service.ts';
import { relayEndpoint } from './docs.service.ts';

describe('relayEndpoint', () => {
  it('defaults to localhost on the relay port', () => {
    expect(relayEndpoint({ relay_port: 3000 })).toEqual({
      relayUrl: 'http://localhost:3000',
      baseUrl: 'http://localhost:3000/v1',
    });
  });

  it.each([
    'https://api.example.com',
    'https://api.example.com/',
    'https://api.example.com/v1',
    'https://api.example.com/v1/',
  ])('uses relay_public_url %j, with exactly one /v1', (url) => {
    expect(relayEndpoint({ relay_port: 3000, relay_public_url: url })).toEqual({
      relayUrl: 'https://api.example.com',
      baseUrl: 'https://api.example.com/v1',
    });
  });

  it('keeps a path prefix', () => {
    expect(relayEndpoint({ relay_port: 1, relay_public_url: 'https://x.test/llm/' }).baseUrl).toBe(
      'https://x.test/llm/v1',
    );
  });
});

describe.each(DB_KINDS)('docs procedures on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind, config: { relay_public_url: 'https://relay.example.test' } });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  /** A signed-in user of a group of their own, so channels made for one test stay out of the others. */
  async function userInGroup(group = `g-${rid(3)}`) {
    const u = await seedUser(deps, 'user', { group });
    const { token } = await createSession(deps, u.id, { ip: '127.0.0.1' });
    return { ...u, group, caller: createCaller(await contextFor(deps, token)) };
  }

  function channel(groups: string[], models: string[], extra: Record<string, unknown> = {}) {
    return createChannel(deps, {
      name: `ch ${rid(3)}`,
      baseUrl: 'https://secret-upstream.example.test/v1',
      keys: [`sk-upstream-secret-${rid(8)}`],
      models,
      groups,
      ...extra,
    });
  }

  it('info: the configured public relay URL and the /v1 base URL', async () => {
    const u = await userInGroup();
    expect(await u.caller.docs.info()).toEqual({
      relayUrl: 'https://relay.example.test',
      baseUrl: 'https://relay.example.test/v1',
    });
  });

  it('models: what the caller’s group routes, priced with the group multiplier, never a channel detail', async () => {
    const u = await userInGroup();
    await createGroup(deps, { name: u.group, multiplier: '1.5' });
    const m = rid(3);
    await channel([u.group, 'other'], [`chat-${m}`, `embed-${m}`], {
      modelMapping: { [`alias-${m}`]: `chat-${m}` },
    });
    await channel(['other'], [`hidden-${m}`]);
    await setPrice(deps, {
      model: `chat-${m}`,
      inputPrice: 1_000_000,
      outputPrice: 3_000_000,
      cachedInputPrice: 500_000,
    });
    await setPrice(deps, { model: `alias-${m}`, inputPrice: 0, outputPrice: 0, perCallPrice: 20_000 });
    await setPrice(deps, { model: `hidden-${m}`, inputPrice: 1, outputPrice: 1 });
    // embed-… has no price and free models are not allowed: the relay would refuse it, so it is not listed
    const res = await u.caller.docs.models({});
    expect(res.group).toBe(u.group);
    expect(res.multiplier).toBe(1.5);
    expect(res.models).toEqual([
      {
        model: `alias-${m}`,
        wildcard: false,
        free: false,
        price: { input: 0, cachedInput: null, output: 0, perCall: 30_000 },
      },
      {
        model: `chat-${m}`,
        wildcard: false,
        free: false,
        price: { input: 1_500_000, cachedInput: 750_000, output: 4_500_000, perCall: null },
      },
    ]);
    const text = JSON.stringify(res);
    expect(text).not.toContain('secret-upstream');
    expect(text).not.toContain('sk-upstream-secret');
    expect(text).not.toContain('ch ');
  });

  it('models: wildcard channels list the priced models they cover and the wildcard itself', async () => {
    const u = await userInGroup();
    const m = rid(3);
    await channel([u.group], [`fam-${m}-*`]);
    await setPrice(deps, { model: `fam-${m}-small`, inputPrice: 10, outputPrice: 20 });
    await setPrice(deps, { model: `fam-${m}-large*`, inputPrice: 100, outputPrice: 200 });
    await setPrice(deps, { model: `elsewhere-${m}`, inputPrice: 1, outputPrice: 1 });
    const res = await u.caller.docs.models();
    expect(res.models.map((x) => [x.model, x.wildcard])).toEqual([
      [`fam-${m}-small`, false],
      [`fam-${m}-*`, true],
    ]);
    expect(res.models[0]?.price).toEqual({ input: 10, cachedInput: null, output: 20, perCall: null });
  });

  it('models: unpriced models are listed as free when the operator allows free models', async () => {
    const u = await userInGroup();
    const m = rid(3);
    await channel([u.group], [`free-${m}`]);
    expect((await u.caller.docs.models()).models).toEqual([]);
    await setSettings(deps, { allow_free_models: true });
    try {
      expect((await u.caller.docs.models()).models).toEqual([
        { model: `free-${m}`, wildcard: false, free: true, price: null },
      ]);
    } finally {
      await setSettings(deps, { allow_free_models: false });
    }
  });

  it('models: disabled channels are not listed', async () => {
    const u = await userInGroup();
    const m = rid(3);
    const ch = await channel([u.group], [`off-${m}`]);
    await setPrice(deps, { model: `off-${m}`, inputPrice: 1, outputPrice: 1 });
    expect((await u.caller.docs.models()).models.map((x) => x.model)).toEqual([`off-${m}`]);
    await setChannelStatus(deps, ch.id, 'manual_disabled');
    expect((await u.caller.docs.models()).models).toEqual([]);
  });

  it('models: a selectable group may be asked for; any other group is BAD_REQUEST', async () => {
    const u = await userInGroup();
    const pick = `pick-${rid(3)}`;
    const m = rid(3);
    await channel([pick], [`picked-${m}`]);
    await setPrice(deps, { model: `picked-${m}`, inputPrice: 1, outputPrice: 1 });
    expect((await outcomeOf(() => u.caller.docs.models({ group: pick }))).outcome).toBe('BAD_REQUEST');
    await setSettings(deps, { user_selectable_groups: [pick] });
    try {
      const res = await u.caller.docs.models({ group: pick });
      expect(res.group).toBe(pick);
      expect(res.models.map((x) => x.model)).toEqual([`picked-${m}`]);
    } finally {
      await setSettings(deps, { user_selectable_groups: [] });
    }
  });

  it('needs a session', async () => {
    const anon = anonCaller(deps);
    expect((await outcomeOf(() => anon.docs.info())).outcome).toBe('UNAUTHORIZED');
    expect((await outcomeOf(() => anon.docs.models({}))).outcome).toBe('UNAUTHORIZED');
  });
});
