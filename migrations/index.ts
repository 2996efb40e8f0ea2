import type { Migration } from 'kysely/migration';
import * as init from './2026-11-26-001-init.ts';
import * as payments from './2026-12-01-001-payments.ts';
import * as twoFactor from './2026-12-02-001-two-factor.ts';

/**
 * Every migration, by name, in order. Imported statically (not read from the file system) so the
 * bundled binaries carry them too. Add new files here with a dated name.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-26-001-init': init,
  '2026-12-01-001-payments': payments,
  '2026-12-02-001-two-factor': twoFactor,
};
