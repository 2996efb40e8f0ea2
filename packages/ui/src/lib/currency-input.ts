import {
  currencyToUnits,
  type DisplayCurrency,
  formatCurrency,
  isDecimalText,
} from '@tollgate/shared/currency.ts';
import { t } from '~/i18n/index.ts';
import { formatNumber } from '~/lib/format.ts';

/** The two settings that turn quota units into money. */
export interface MoneySettings {
  quotaPerUnit: number;
  currency: DisplayCurrency;
}

/** What a currency text field holds: nothing, an amount in whole units, or a message. */
export type AmountField =
  | { kind: 'empty' }
  | { kind: 'ok'; units: number; exact: boolean }
  | { kind: 'error'; message: string };

/** Reads a currency amount typed by the admin (`2.50`) into quota units, exactly (rounded up once). */
export function readAmount(text: string, money: MoneySettings): AmountField {
  if (!text.trim()) return { kind: 'empty' };
  if (!isDecimalText(text)) return { kind: 'error', message: t('money.invalidAmount') };
  try {
    return { kind: 'ok', ...currencyToUnits(text, money.quotaPerUnit) };
  } catch {
    return { kind: 'error', message: t('money.tooLarge') };
  }
}

/** `"1,250,000 units"` */
export function unitsLabel(units: number): string {
  return t('money.units', { n: formatNumber(units) });
}

/** Units as money, exact to 6 decimals (`$0.075`). */
export function money(units: number, m: MoneySettings): string {
  return formatCurrency(units, m.quotaPerUnit, m.currency);
}

/** The first problem zod found, as `field: message` (the same schema the server checks with). */
export function firstIssue(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  const issue = error.issues[0];
  if (!issue) return t('common.unknownError');
  return issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}
