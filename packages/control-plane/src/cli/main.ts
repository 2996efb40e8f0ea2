import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '@tollgate/shared/config.ts';
import { migrateToLatest } from '@tollgate/shared/db/index.ts';
import { createLogger } from '@tollgate/shared/logger.ts';
import { closeControlPlaneDeps, createControlPlaneDeps } from '../deps.ts';
import { ServiceError } from '../errors.ts';
import { commands, usage } from './commands.ts';

/**
 * `pnpm tollgate <command> [--json]`: operations from a shell, through the same services as the
 * tRPC routers. Exit codes: 0 ok, 1 refused (the message says why), 2 usage/config error.
 */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { json: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const words = positionals.filter((p): p is string => typeof p === 'string');
  const name = words.slice(0, 2).join(' ');
  const cmd = commands[name] ? name : commands[words[0] ?? ''] ? words[0]! : undefined;
  if (!cmd || values.help) {
    console.log(usage());
    return cmd || values.help ? 0 : 2;
  }
  let cfg: Config;
  try {
    cfg = loadConfig({ argv, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const deps = createControlPlaneDeps(
    { ...cfg, log_level: 'warn' },
    { logger: createLogger({ ...cfg, log_level: 'warn' }, 'cli') },
  );
  try {
    await migrateToLatest(deps.db);
    const result = await commands[cmd]!.run(deps, argv);
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else console.log(commands[cmd]!.format?.(result) ?? JSON.stringify(result, null, 2));
    return 0;
  } catch (err) {
    if (err instanceof ServiceError) {
      console.error(`${cmd}: ${err.message}`);
      return 1;
    }
    if (err instanceof Error && err.name === 'ZodError') {
      console.error(`${cmd}: invalid input: ${err.message}`);
      return 2;
    }
    throw err;
  } finally {
    await closeControlPlaneDeps(deps);
  }
}

process.exitCode = await main(process.argv.slice(2));
