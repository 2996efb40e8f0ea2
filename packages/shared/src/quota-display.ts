import { type DisplayCurrency, moneyText, unitsToDecimal } from './currency.ts';

export { unitsToDecimal };

/** Currencies the site can display amounts in (the `display_currency` setting). */
export type CurrencyCode = DisplayCurrency;

/** How integer quota units are shown: units per currency unit and the currency (SPEC §5). */
export interface MoneyDisplay {
  quotaPerUnit: number;
  currency: CurrencyCode;
}

export const DEFAULT_MONEY_DISPLAY: MoneyDisplay = { quotaPerUnit: 500_000, currency: 'USD' };

/** An amount of quota units for people: `$0.0025` (trailing zeros trimmed to at least two decimals). */
export function formatUnitsAsMoney(units: number, display: MoneyDisplay = DEFAULT_MONEY_DISPLAY): string {
  return moneyText(unitsToDecimal(units, display.quotaPerUnit), display.currency);
}
