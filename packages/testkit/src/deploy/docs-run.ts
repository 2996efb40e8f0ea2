import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DocBlock, RunKind } from './docs-blocks.ts';

export const root = resolve(import.meta.dirname, '../../../..');
const pythonStub = join(import.meta.dirname, 'docs-python-stub');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with exactly `env` (plus PATH and HOME) and collects its output; killed after `timeoutMs`. */
/**
 * The PATH a reader's shell has: this process's, without what a package manager put in front (relative
 * `./node_modules/.bin` entries and project `node_modules/.bin` directories). Under `pnpm test` those
 * are there, and `npx -y pnpm@10 …` started from a doc block then hangs resolving itself.
 */
export function readerPath(): string {
  const dirs = (process.env.PATH ?? '/usr/bin:/bin')
    .split(':')
    .filter((d) => d.startsWith('/') && !d.includes('/node_modules/') && !d.startsWith('/root/.npm/_npx'));
  return dirs.join(':') || '/usr/bin:/bin';
}

export function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? root,
      env: { PATH: readerPath(), HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** A scratch directory where `import OpenAI from 'openai'` resolves to the workspace's `openai` package. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-docs-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(
    realpathSync(join(root, 'packages/testkit/node_modules/openai')),
    join(dir, 'node_modules/openai'),
  );
  return dir;
}

let counter = 0;

/**
 * Runs a block as written: shell with `bash -euo pipefail`, Python with python3 (after `py_compile`)
 * against the `openai` stand-in in docs-python-stub, JavaScript as an ES module with this Node.
 */
export async function runBlock(
  kind: RunKind,
  block: DocBlock,
  env: Record<string, string>,
  dir: string,
): Promise<RunResult> {
  const name = `block-${++counter}-${block.line}`;
  if (kind === 'shell') return run('bash', ['-euo', 'pipefail', '-c', block.text], env, { cwd: dir });
  if (kind === 'python') {
    const file = join(dir, `${name}.py`);
    writeFileSync(file, `${block.text}\n`);
    const compiled = await run('python3', ['-m', 'py_compile', file], env, { cwd: dir });
    if (compiled.code !== 0) return compiled;
    return run(
      'python3',
      [file],
      { ...env, PYTHONPATH: pythonStub, PYTHONDONTWRITEBYTECODE: '1' },
      { cwd: dir },
    );
  }
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `${block.text}\n`);
  return run(process.execPath, [file], env, { cwd: dir });
}

/** What a shell block that calls the relay printed: a JSON answer, or an SSE stream ending in [DONE]. */
export function outputShape(stdout: string): 'json' | 'sse' | string {
  const text = stdout.trim();
  if (text.startsWith('data:')) {
    const events = text.split(/\n\n+/).map((e) => e.trim());
    if (events.at(-1) !== 'data: [DONE]')
      return `the stream does not end with "data: [DONE]": ${text.slice(-300)}`;
    let content = '';
    for (const e of events.slice(0, -1)) {
      if (!e.startsWith('data: ')) return `not an SSE data event: ${e}`;
      const chunk = JSON.parse(e.slice(6)) as {
        choices?: { delta?: { content?: string } }[];
        error?: unknown;
      };
      if (chunk.error) return `an error event: ${e}`;
      content += chunk.choices?.[0]?.delta?.content ?? '';
    }
    return content ? 'sse' : 'a stream without any content';
  }
  let body: { error?: unknown; choices?: unknown[]; data?: unknown[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `not JSON: ${text.slice(0, 300)}`;
  }
  if (body.error) return `an error: ${text}`;
  if (Array.isArray(body.choices) && body.choices.length > 0) return 'json';
  if (Array.isArray(body.data) && body.data.length > 0) return 'json';
  return `JSON without choices or data: ${text.slice(0, 300)}`;
}

/**
 * A directory laid out like a checkout after `pnpm install`, for the README's quick start: the
 * workspace's package.json, node_modules, scripts, migrations and packages linked in, and a private copy
 * of the built site (so `pnpm start` finds it up to date and never rebuilds the shared one), with no
 * `data/` and no `config.yaml`.
 */
export function cloneLikeCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-quickstart-'));
  for (const f of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, f), join(dir, f));
  for (const d of ['node_modules', 'scripts', 'migrations']) symlinkSync(join(root, d), join(dir, d));
  mkdirSync(join(dir, 'packages/ui'), { recursive: true });
  for (const p of ['relay', 'control-plane', 'shared', 'testkit'])
    symlinkSync(join(root, 'packages', p), join(dir, 'packages', p));
  // copied, not linked: the copy is newer than every source, so start.ts sees the build as current
  cpSync(join(root, 'packages/ui/.output'), join(dir, 'packages/ui/.output'), { recursive: true });
  return dir;
}
