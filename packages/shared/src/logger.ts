import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Logger, pino } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

/** Paths never logged: keys, passwords, cookies. */
const redact = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'req.headers.cookie',
  '*.password',
  '*.apiKey',
  '*.key',
  '*.keys',
];

/** A pino logger to stdout, and also to `<log_dir>/<name>.log` when `log_dir` is set. */
export function createLogger(cfg: Pick<Config, 'log_level' | 'log_dir'>, name: string): Logger {
  const opts = { name, level: cfg.log_level, redact: { paths: redact, censor: '[redacted]' } };
  // buffered, asynchronous writes: a synchronous write per log line costs the relay real throughput
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  if (!cfg.log_dir) return pino(opts, stdout);
  const dir = resolve(cfg.log_dir);
  mkdirSync(dir, { recursive: true });
  return pino(
    opts,
    pino.multistream([
      { stream: stdout },
      { stream: pino.destination({ dest: join(dir, `${name}.log`), mkdir: true, sync: false }) },
    ]),
  );
}
