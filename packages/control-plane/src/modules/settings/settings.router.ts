import { adminProcedure, router } from '../../trpc/init.ts';
import { settingsPatchSchema } from './settings.schemas.ts';
import { getSettings, setSettings } from './settings.service.ts';

export const settingsRouter = router({
  /** Every setting, defaults filled in. */
  get: adminProcedure.query(({ ctx }) => getSettings(ctx.deps)),
  /** Changes any subset of the settings in one config version; returns all settings. */
  set: adminProcedure.input(settingsPatchSchema).mutation(({ ctx, input }) => setSettings(ctx.deps, input)),
});
