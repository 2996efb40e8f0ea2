import type { ControlPlaneDeps } from '../deps.ts';
import {
  generateStatements,
  monthOf,
  monthRange,
  previousMonth,
} from '../modules/statements/statements.service.ts';

/** Minutes into a month before the previous one is closed (late settlements land first). */
const GRACE_MS = 15 * 60_000;

/**
 * Closes the previous month (SPEC §6, `user_invoice_month`): stores every user's statement once. Off
 * unless `user_invoice_month` is set; the Portal computes open months live either way.
 */
export function createStatementsJob(deps: Pick<ControlPlaneDeps, 'db' | 'now' | 'cfg'>) {
  let done: string | undefined;
  return async function run(): Promise<{ month?: string; generated: number }> {
    if (!deps.cfg.user_invoice_month) return { generated: 0 };
    const now = deps.now();
    const current = monthOf(now);
    if (now - monthRange(current).start < GRACE_MS) return { generated: 0 };
    const month = previousMonth(current);
    if (done === month) return { month, generated: 0 };
    const res = await generateStatements(deps, month);
    done = month;
    return { month, ...res };
  };
}
