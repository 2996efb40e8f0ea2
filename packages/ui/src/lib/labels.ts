import { en } from '~/i18n/en.ts';
import { type MessageKey, t } from '~/i18n/index.ts';

/*
 * Labels for names that come from code (alert rule parameters, notifier types and fields, ledger
 * kinds). A name without a message yet (a new parameter) shows as itself rather than as a raw key.
 */
function labelOf(prefix: string, name: string): string {
  const key = `${prefix}.${name}`;
  return key in en ? t(key as MessageKey) : name;
}

export const alertParamLabel = (name: string) => labelOf('alerts.param', name);
export const notifierTypeLabel = (type: string) => labelOf('alerts.notifier', type);
export const notifierFieldLabel = (field: string) => labelOf('alerts.field', field);
export const ledgerKindLabel = (kind: string) => labelOf('ledger.kind', kind);
