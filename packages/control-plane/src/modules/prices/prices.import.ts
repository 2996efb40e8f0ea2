import { decimalOfNumber, toUnits } from '@tollgate/shared/currency.ts';
import { type Database, isUniqueViolation } from '@tollgate/shared/db/index.ts';
import { PPM, parseMultiplier } from '@tollgate/shared/pricing.ts';
import type { Transaction } from 'kysely';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { type Changed, configTx } from '../../snapshot/config-tx.ts';
import { getSettings } from '../settings/settings.service.ts';
import {
  type ImportPricesInput,
  importPricesSchema,
  type ReferencePrice,
  type SetPriceInput,
} from './prices.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now'>;

type PriceValues = Required<Omit<SetPriceInput, 'model'>>;

export interface ImportResult {
  /** models that had no price */
  added: number;
  /** models whose imported (`auto`) price changed */
  updated: number;
  /** models whose imported price is already current */
  unchanged: number;
  /** models with an admin-set price, left as they are */
  skipped: number;
  skippedModels: string[];
}

const valueKeys = [
  'inputPrice',
  'cachedInputPrice',
  'outputPrice',
  'perCallPrice',
  'costInputPrice',
  'costOutputPrice',
  'costPerCallPrice',
] as const satisfies readonly (keyof PriceValues)[];

/**
 * One reference entry (USD per 1M tokens / per call) as stored prices: the reference is what the
 * upstream lists, so it becomes the cost price; the sell price is the cost plus `markupPercent`.
 * Each amount is converted once, exactly, and rounded up to a whole quota unit.
 */
export function referenceToPrice(
  ref: ReferencePrice,
  o: { quotaPerUnit: number; ratePpm: number; markupPercent: string },
): PriceValues {
  const units = (usd: number, markupPercent = '0') =>
    toUnits(decimalOfNumber(usd), o.quotaPerUnit, { ratePpm: o.ratePpm, markupPercent }).units;
  const sell = (usd: number | undefined) => (usd === undefined ? null : units(usd, o.markupPercent));
  const cost = (usd: number | undefined) => (usd === undefined ? null : units(usd));
  return {
    inputPrice: units(ref.input, o.markupPercent),
    cachedInputPrice: sell(ref.cached_input),
    outputPrice: units(ref.output, o.markupPercent),
    perCallPrice: sell(ref.per_call),
    costInputPrice: units(ref.input),
    costOutputPrice: units(ref.output),
    costPerCallPrice: cost(ref.per_call),
  };
}

/**
 * Imports a reference price list (`auto_price_updates`, SPEC §5): adds models that have no price and
 * refreshes prices that came from an earlier import (`source = 'auto'`). A price the admin set
 * (`source = 'admin'`) is never touched. One config version for the whole import.
 */
export async function importPrices(deps: Deps, input: ImportPricesInput): Promise<ImportResult> {
  const v = importPricesSchema.parse(input);
  const settings = await getSettings(deps);
  if (settings.display_currency !== 'USD' && v.usdRate === undefined)
    throw new ServiceError(
      'BAD_REQUEST',
      `amounts are shown in ${settings.display_currency}: give the ${settings.display_currency} per USD rate`,
    );
  const options = {
    quotaPerUnit: settings.quota_per_unit,
    ratePpm: v.usdRate === undefined ? PPM : parseMultiplier(v.usdRate),
    markupPercent: v.markupPercent,
  };
  const incoming = new Map<string, PriceValues>();
  for (const [model, ref] of Object.entries(v.prices)) {
    try {
      incoming.set(model, referenceToPrice(ref, options));
    } catch (err) {
      if (err instanceof RangeError) throw new ServiceError('BAD_REQUEST', `${model}: ${err.message}`);
      throw err;
    }
  }
  const now = deps.now();
  const result: ImportResult = { added: 0, updated: 0, unchanged: 0, skipped: 0, skippedModels: [] };
  try {
    await configTx(deps, (trx, changed) => applyImport(trx, changed, incoming, now, result));
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ServiceError('CONFLICT', 'prices changed while importing; run the import again');
    throw err;
  }
  result.skippedModels.sort();
  return result;
}

const MAX_LISTED_CHANGES = 50;

async function applyImport(
  trx: Transaction<Database>,
  changed: Changed,
  incoming: Map<string, PriceValues>,
  now: number,
  result: ImportResult,
): Promise<void> {
  const existing = await trx
    .selectFrom('prices')
    .select(['id', 'model', 'source', ...valueKeys])
    .execute();
  const byModel = new Map(existing.map((r) => [r.model, r]));
  const touched: string[] = [];
  for (const [model, values] of incoming) {
    const row = byModel.get(model);
    if (!row) {
      await trx
        .insertInto('prices')
        .values({ model, ...values, source: 'auto', createdAt: now, updatedAt: now })
        .execute();
      result.added++;
      touched.push(model);
    } else if (row.source !== 'auto') {
      result.skipped++;
      result.skippedModels.push(model);
    } else if (valueKeys.every((k) => nullableNumber(row[k]) === values[k])) {
      result.unchanged++;
    } else {
      // the source guard makes an admin edit that raced this import win
      const res = await trx
        .updateTable('prices')
        .set({ ...values, updatedAt: now })
        .where('id', '=', row.id)
        .where('source', '=', 'auto')
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) > 0) {
        result.updated++;
        touched.push(model);
      }
    }
  }
  // the relays reload every price on any price change: a big import is recorded as one change
  if (touched.length > MAX_LISTED_CHANGES) changed('price', '*');
  else for (const model of touched) changed('price', model);
}

function nullableNumber(v: number | null): number | null {
  return v === null ? null : Number(v);
}

/** What the prices page says about imports: whether they run on a schedule, and the last one. */
export async function importStatus(deps: Pick<ControlPlaneDeps, 'db' | 'cfg'>) {
  const row = await deps.db.db
    .selectFrom('prices')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('updatedAt').as('last')])
    .where('source', '=', 'auto')
    .executeTakeFirstOrThrow();
  const count = Number(row.n);
  return {
    scheduled: deps.cfg.auto_price_updates,
    autoPriceCount: count,
    lastImportAt: count > 0 && row.last !== null ? Number(row.last) : null,
  };
}
