import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { waitForHttp } from '../harness/ports.ts';

/** A server of the benchmark, in a process of its own; its output goes to a file, not through us. */
export interface BenchProcess {
  name: string;
  url: string;
  pid: number;
  /** resident set size now / its peak so far, in KiB (undefined once it has exited) */
  rss(): { now: number; peak: number | undefined } | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** arguments after the node binary (flags, entry, its arguments) */
  args: string[];
  url: string;
  /** path polled until it answers 200 */
  readyPath: string;
  env?: Record<string, string>;
  cwd: string;
  /** stdout and stderr are appended here */
  logFile: string;
}

/** Spawns `node …` with the same Node binary as this process and waits until it answers. */
export async function startProcess(o: StartOptions): Promise<BenchProcess> {
  const log = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, o.args, {
      cwd: o.cwd,
      env: { PATH: process.env.PATH ?? '', ...o.env },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${o.name}: could not be started`);
  const proc: BenchProcess = {
    name: o.name,
    url: o.url,
    pid,
    rss: () => (child.exitCode === null && child.signalCode === null ? readRss(pid) : undefined),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await Promise.race([
      waitForHttp(`${o.url}${o.readyPath}`, { timeoutMs: 30_000 }),
      exited.then(() => {
        throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
      }),
    ]);
  } catch (err) {
    await proc.stop();
    const tail = safeRead(o.logFile).slice(-4000);
    throw new Error(`${o.name} did not start: ${(err as Error).message}\n${tail}`, { cause: err });
  }
  return proc;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** VmRSS / VmHWM from /proc on Linux; `ps` elsewhere (no peak there). */
function readRss(pid: number): { now: number; peak: number | undefined } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { now: kib('VmRSS'), peak: kib('VmHWM') };
  } catch {
    try {
      const out = execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
      return { now: Number(out.trim()), peak: undefined };
    } catch {
      return undefined;
    }
  }
}

/** Runs registered clean-ups once, newest first, on normal exit and on SIGINT / SIGTERM. */
export class Cleanup {
  #steps: (() => Promise<void> | void)[] = [];
  #ran: Promise<void> | undefined;

  add(step: () => Promise<void> | void): void {
    this.#steps.push(step);
  }

  run(): Promise<void> {
    this.#ran ??= (async () => {
      for (const step of this.#steps.reverse()) {
        try {
          await step();
        } catch (err) {
          process.stderr.write(`clean-up step failed: ${(err as Error).message}\n`);
        }
      }
    })();
    return this.#ran;
  }

  /** Cleans up and exits on the first SIGINT / SIGTERM. */
  onSignals(): void {
    const handler = (signal: NodeJS.Signals) => {
      process.stderr.write(`\n${signal}: stopping the benchmark's processes…\n`);
      void this.run().then(() => process.exit(130));
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  }
}
