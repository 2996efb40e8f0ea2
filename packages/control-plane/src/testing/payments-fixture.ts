import { generateCodes } from '../modules/codes/codes.service.ts';
import { setPaymentSettings } from '../modules/payments/payments.settings.ts';
import { startFakeLemonSqueezy } from './fake-lemonsqueezy.ts';
import { rid, type TestDeps } from './harness.ts';
import type { ProcedureTable } from './role-matrix.ts';

/** What the payment procedures of the role matrix need (see security.test.ts). */
export interface PaymentsFixture {
  /** a pending top-up of the `user` actor */
  topupId: number;
  /** fresh redemption codes; each redeem sample takes one */
  codes: string[];
  /** a batch of codes to disable */
  codeBatch: string;
}

/**
 * Points the deps at a fake Lemon Squeezy API and configures payments, so checkout samples succeed.
 * Returns the fake's `close`.
 */
export async function preparePayments(deps: TestDeps): Promise<{ close(): Promise<void> }> {
  const fake = await startFakeLemonSqueezy();
  deps.cfg = { ...deps.cfg, lemonsqueezy_api_url: fake.url };
  await setPaymentSettings(deps, {
    enabled: true,
    apiKey: `ls-key-${rid(16)}`,
    storeId: '1',
    variantId: '2',
    webhookSecret: `whsec-${rid(8)}`,
  });
  return fake;
}

/** Seeds the objects of {@link PaymentsFixture} for `userId`. */
export async function seedPayments(deps: TestDeps, userId: number): Promise<PaymentsFixture> {
  const now = Date.now();
  const res = await deps.db.db
    .insertInto('topups')
    .values({
      userId,
      provider: 'lemonsqueezy',
      moneyCents: 500,
      quota: 1,
      status: 'pending',
      createdAt: now,
    })
    .executeTakeFirstOrThrow();
  const codes = await generateCodes(deps, { count: 8, value: 1 });
  return { topupId: Number(res.insertId), codes: codes.codes, codeBatch: codes.batch };
}

const MONTH = '2026-03';

/** The payment, code and statement procedures: access class and a valid sample input. */
export const paymentProcedures: ProcedureTable<PaymentsFixture & { target: { id: number } }> = {
  'payments.getSettings': { access: 'admin', input: () => undefined },
  'payments.setSettings': { access: 'admin', input: () => ({ currency: 'USD' }) },
  'payments.getSmtp': { access: 'admin', input: () => undefined },
  'payments.setSmtp': { access: 'admin', input: () => ({ port: 587 }) },
  'payments.testSmtp': { access: 'admin', input: () => undefined },
  'payments.topups': { access: 'admin', input: () => ({}) },
  'payments.events': { access: 'admin', input: () => ({}) },
  'payments.options': { access: 'user', input: () => undefined },
  'payments.checkout': {
    access: 'user',
    input: () => ({ amountCents: 500, origin: 'http://127.0.0.1:3001' }),
  },
  'payments.topup': { access: 'user', ownedByUser: true, input: (f) => ({ id: f.topupId }) },
  'payments.myTopups': { access: 'user', input: () => undefined },
  'payments.balance': { access: 'user', input: () => undefined },
  'payments.setThreshold': { access: 'user', input: () => ({ threshold: null }) },

  'codes.generate': { access: 'admin', input: () => ({ count: 2, value: 10 }) },
  'codes.batches': { access: 'admin', input: () => undefined },
  'codes.list': { access: 'admin', input: () => ({}) },
  'codes.disable': { access: 'admin', input: (f) => ({ batch: f.codeBatch }) },
  // scoped to the caller: each permitted call redeems a fresh code
  'codes.redeem': { access: 'user', input: (f) => ({ code: f.codes.pop() ?? 'TG-0000-0000-0000-0000' }) },

  'statements.months': { access: 'user', input: () => undefined },
  'statements.mine': { access: 'user', input: () => ({ month: MONTH }) },
  'statements.forUser': { access: 'admin', input: (f) => ({ userId: f.target.id, month: MONTH }) },
  'statements.revenue': { access: 'admin', input: () => ({}) },
};
