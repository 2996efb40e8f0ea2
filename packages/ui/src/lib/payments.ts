import type { DisplayCurrency } from '@tollgate/shared/currency.ts';
import { readAmount } from '~/lib/currency-input.ts';
import { formatMoney } from '~/lib/money.ts';

/** Cents of the store currency as money ("$12.50"). */
export function formatCents(cents: number, currency: string): string {
  return formatMoney(cents, { quotaPerUnit: 100, currency });
}

/** A typed amount ("12.5") as cents, or undefined when it is not a valid amount. */
export function readCents(text: string): number | undefined {
  const r = readAmount(text, { quotaPerUnit: 100, currency: 'USD' as DisplayCurrency });
  return r.kind === 'ok' && r.exact ? r.units : undefined;
}

/** Cents as the plain decimal an input shows ("12.50"). */
export function centsText(cents: number): string {
  return (cents / 100).toFixed(2);
}
