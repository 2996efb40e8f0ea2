import { migrateToLatest } from '@tollgate/shared/db/index.ts';
import type { ControlPlaneDeps } from './deps.ts';
import { ensureFirstAdmin } from './modules/users/users.service.ts';

/**
 * Start-up work of the site: migrate, then create the first admin when there is none, printing a
 * generated password exactly once.
 */
export async function bootstrap(
  deps: ControlPlaneDeps,
  print: (line: string) => void = console.log,
): Promise<void> {
  await migrateToLatest(deps.db);
  const admin = await ensureFirstAdmin(deps, {
    email: deps.cfg.admin_email,
    password: deps.cfg.admin_password,
  });
  if (admin?.generated) {
    print(
      `\n  First admin account created — shown once, change the password after signing in:\n    e-mail:   ${admin.email}\n    password: ${admin.password}\n`,
    );
  } else if (admin) {
    print(`First admin account created: ${admin.email}`);
  }
}
