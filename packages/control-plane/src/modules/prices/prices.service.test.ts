import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { setSettings } from '../settings/settings.service.ts';
import { importPrices, importStatus, referenceToPrice } from './prices.import.ts';
import { importPricesSchema, setPriceSchema } from './prices.schemas.ts';
import { deletePrice, listPrices, setPrice } from './prices.service.ts';

function serviceCode(err: unknown): string {
  if (err instanceof ServiceError) return err.code;
  throw err;
}

describe('referenceToPrice (pure)', () => {
  it('turns USD per 1M into cost units and sells at cost plus the markup, rounded up once', () => {
    const p = referenceToPrice(
      { input: 0.15, output: 0.6, cached_input: 0.075 },
      { quotaPerUnit: 500_000, ratePpm: 1_000_000, markupPercent: '20' },
    );
    expect(p).toEqual({
      inputPrice: 90_000,
      cachedInputPrice: 45_000,
      outputPrice: 360_000,
      perCallPrice: null,
      costInputPrice: 75_000,
      costOutputPrice: 300_000,
      costPerCallPrice: null,
    });
  });

  it('converts through an exchange rate and rounds a sub-unit amount up to one unit', () => {
    const p = referenceToPrice(
      { input: 2.5, output: 1e-7, per_call: 0.01 },
      { quotaPerUnit: 500_000, ratePpm: 7_200_000, markupPercent: '0' },
    );
    expect(p.inputPrice).toBe(9_000_000);
    expect(p.outputPrice).toBe(1);
    expect(p.perCallPrice).toBe(36_000);
    expect(p.costPerCallPrice).toBe(36_000);
  });
});

describe('price schemas', () => {
  it('accept exact names and prefix wildcards, refuse floats and negative units', () => {
    expect(setPriceSchema.safeParse({ model: 'gpt-4o*', inputPrice: 1 }).success).toBe(true);
    expect(setPriceSchema.safeParse({ model: 'gpt-*-mini', inputPrice: 1 }).success).toBe(false);
    expect(setPriceSchema.safeParse({ model: 'x', inputPrice: 1.5 }).success).toBe(false);
    expect(setPriceSchema.safeParse({ model: 'x', outputPrice: -1 }).success).toBe(false);
  });

  it('refuse an empty list, negative reference prices and a malformed markup', () => {
    expect(importPricesSchema.safeParse({ prices: {} }).success).toBe(false);
    expect(importPricesSchema.safeParse({ prices: { m: { input: -1, output: 1 } } }).success).toBe(false);
    expect(importPricesSchema.safeParse({ prices: { m: { input: 1 } } }).success).toBe(false);
    expect(
      importPricesSchema.safeParse({ prices: { m: { input: 1, output: 1 } }, markupPercent: '-5' }).success,
    ).toBe(false);
    expect(importPricesSchema.safeParse({ prices: { m: { input: 1, output: 2 } } }).success).toBe(true);
  });
});

describe.each(DB_KINDS)('prices service on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps({ kind });
  }, 60_000);

  afterAll(async () => {
    await deps?.cleanup();
  });

  async function row(model: string) {
    return (await listPrices(deps)).find((p) => p.model === model);
  }

  it('set creates then replaces an admin price; delete removes it; each bumps the version once', async () => {
    const model = `m-${rid(4)}`;
    const created = await trackConfig(deps, () =>
      setPrice(deps, { model, inputPrice: 1_250_000, outputPrice: 5_000_000, costInputPrice: 1_000_000 }),
    );
    expect(created.bumps).toBe(1);
    expect(created.changes[0]?.changes).toEqual([{ entity: 'price', id: model, op: 'upsert' }]);
    expect(created.result).toMatchObject({ model, inputPrice: 1_250_000, source: 'admin' });
    await setPrice(deps, { model, inputPrice: 1, outputPrice: 2, perCallPrice: 3 });
    expect(await row(model)).toMatchObject({
      inputPrice: 1,
      outputPrice: 2,
      perCallPrice: 3,
      costInputPrice: null,
    });
    const deleted = await trackConfig(deps, () => deletePrice(deps, model));
    expect(deleted.changes[0]?.changes).toEqual([{ entity: 'price', id: model, op: 'delete' }]);
    expect(await row(model)).toBeUndefined();
    const missing = await trackFailedConfig(deps, () => deletePrice(deps, model));
    expect(serviceCode(missing.error)).toBe('NOT_FOUND');
    expect(missing.bumps).toBe(0);
  });

  describe('import', () => {
    it('adds new models as auto prices, refreshes auto prices, and never overwrites an admin price', async () => {
      const [fresh, auto, admin, same] = ['fresh', 'auto', 'admin', 'same'].map((n) => `${n}-${rid(4)}`) as [
        string,
        string,
        string,
        string,
      ];
      await importPrices(deps, {
        prices: { [auto]: { input: 1, output: 2 }, [same]: { input: 3, output: 4 } },
      });
      await setPrice(deps, { model: admin, inputPrice: 7, outputPrice: 8 });
      const before = await row(admin);

      const run = await trackConfig(deps, () =>
        importPrices(deps, {
          prices: {
            [fresh]: { input: 0.15, output: 0.6, cached_input: 0.075 },
            [auto]: { input: 2.5, output: 10 },
            [admin]: { input: 100, output: 100 },
            [same]: { input: 3, output: 4 },
          },
        }),
      );
      expect(run.result).toEqual({ added: 1, updated: 1, unchanged: 1, skipped: 1, skippedModels: [admin] });
      expect(run.bumps).toBe(1);
      expect(run.changes[0]?.changes.map((c) => c.id).sort()).toEqual([auto, fresh].sort());

      expect(await row(fresh)).toMatchObject({
        source: 'auto',
        inputPrice: 75_000,
        cachedInputPrice: 37_500,
        outputPrice: 300_000,
        costInputPrice: 75_000,
        costOutputPrice: 300_000,
      });
      expect(await row(auto)).toMatchObject({
        source: 'auto',
        inputPrice: 1_250_000,
        outputPrice: 5_000_000,
      });
      expect(await row(admin)).toEqual(before);
    });

    it('an admin edit of an imported price makes it an admin price that later imports keep', async () => {
      const model = `edited-${rid(4)}`;
      await importPrices(deps, { prices: { [model]: { input: 1, output: 1 } } });
      await setPrice(deps, { model, inputPrice: 42, outputPrice: 43 });
      const again = await importPrices(deps, { prices: { [model]: { input: 9, output: 9 } } });
      expect(again).toMatchObject({ added: 0, updated: 0, skipped: 1 });
      expect(await row(model)).toMatchObject({ source: 'admin', inputPrice: 42, outputPrice: 43 });
    });

    it('applies a markup and uses the quota_per_unit setting', async () => {
      await setSettings(deps, { quota_per_unit: 1_000 });
      try {
        const model = `markup-${rid(4)}`;
        await importPrices(deps, { prices: { [model]: { input: 0.001, output: 3 } }, markupPercent: '12.5' });
        expect(await row(model)).toMatchObject({
          costInputPrice: 1,
          inputPrice: 2, // 1.125 rounded up
          costOutputPrice: 3_000,
          outputPrice: 3_375,
        });
      } finally {
        await setSettings(deps, { quota_per_unit: 500_000 });
      }
    });

    it('needs a USD rate when amounts are shown in another currency', async () => {
      await setSettings(deps, { display_currency: 'CNY' });
      try {
        const model = `cny-${rid(4)}`;
        const refused = await trackFailedConfig(deps, () =>
          importPrices(deps, { prices: { [model]: { input: 1, output: 1 } } }),
        );
        expect(serviceCode(refused.error)).toBe('BAD_REQUEST');
        expect(refused.bumps).toBe(0);
        await importPrices(deps, { prices: { [model]: { input: 1, output: 2 } }, usdRate: '7.2' });
        expect(await row(model)).toMatchObject({ inputPrice: 3_600_000, outputPrice: 7_200_000 });
      } finally {
        await setSettings(deps, { display_currency: 'USD' });
      }
    });

    it('records a big import as one price change', async () => {
      const prices = Object.fromEntries(
        Array.from({ length: 60 }, (_, i) => [`bulk-${rid(3)}-${i}`, { input: 1, output: 1 }]),
      );
      const run = await trackConfig(deps, () => importPrices(deps, { prices }));
      expect(run.result.added).toBe(60);
      expect(run.changes[0]?.changes).toEqual([{ entity: 'price', id: '*', op: 'upsert' }]);
    });

    it('importStatus reports the config flag and the imported prices', async () => {
      const status = await importStatus(deps);
      expect(status.scheduled).toBe(false);
      expect(status.autoPriceCount).toBeGreaterThan(0);
      expect(status.lastImportAt).toBeGreaterThan(Date.now() - 60_000);
      const on = await importStatus({ ...deps, cfg: { ...deps.cfg, auto_price_updates: true } });
      expect(on.scheduled).toBe(true);
    });

    it('through the router: admins import, bad lists are BAD_REQUEST and change nothing', async () => {
      const admin = await createUserWithSession(deps, 'admin');
      const model = `router-${rid(4)}`;
      const ok = await admin.caller.prices.import({ prices: { [model]: { input: 1, output: 2 } } });
      expect(ok.added).toBe(1);
      const bad = await trackFailedConfig(deps, () =>
        admin.caller.prices.import({ prices: { [`x-${rid(4)}`]: { input: 'cheap', output: 1 } } } as never),
      );
      expect((bad.error as { code?: string }).code).toBe('BAD_REQUEST');
      expect(bad.bumps).toBe(0);
      const user = await createUserWithSession(deps, 'user');
      const denied = await outcomeOf(() =>
        user.caller.prices.import({ prices: { [model]: { input: 0, output: 0 } } }),
      );
      expect(denied.outcome).toBe('FORBIDDEN');
      expect(await row(model)).toMatchObject({ inputPrice: 500_000, outputPrice: 1_000_000 });
    });
  });
});
