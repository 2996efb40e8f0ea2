import { type ChildProcess, spawn } from 'node:child_process';
import type { ManagedProcess } from '../harness/stack.ts';

const running = new Set<ChildProcess>();
let hooked = false;

/**
 * Spawns `cmd` and keeps its output (the last ~100 kB, for failure messages); `echo` also prints it
 * line by line prefixed with the name. `detached` puts it in its own process group, so a Ctrl-C on
 * the terminal reaches only the caller, which then stops it in order. Whatever is still running when
 * this process exits is killed.
 */
export function spawnManaged(
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  o: { cwd?: string; echo?: boolean; detached?: boolean; killAfterMs?: number } = {},
): ManagedProcess {
  const child = spawn(cmd, args, {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: o.detached ?? false,
  });
  running.add(child);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  let out = '';
  let partial = '';
  const keep = (b: Buffer) => {
    const text = b.toString();
    out += text;
    if (out.length > 200_000) out = out.slice(-100_000);
    if (o.echo) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (err) => {
    out += `\n${name}: ${err.message}\n`;
  });
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      running.delete(child);
      r(code);
    }),
  );
  return {
    name,
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs ?? 40_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
