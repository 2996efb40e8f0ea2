/**
 * Fenced code blocks of a Markdown document and how the docs check treats each one.
 *
 * A block is classified by an HTML comment on the line(s) just before its opening fence (only blank
 * lines in between), or else by its language:
 *
 * - `<!-- docs-check: skip REASON -->` — not run; the reason says why it cannot run here.
 * - `<!-- docs-check: env -->` — the variables a reader sets once (`export NAME=value` lines only);
 *   the check supplies its own values for them (a real relay and key).
 * - `<!-- docs-check: start -->` — a command that starts a server and keeps running; the check runs it
 *   in the background and waits until it answers.
 * - `<!-- docs-check: output -->` — what the previous block prints; compared line by line, `…` stands
 *   for any text without spaces.
 * - `<!-- docs-check: relay-output NAME -->` — text the relay sends in a situation the reader cannot
 *   cause on purpose; the check causes it (scenario NAME) and compares.
 * - no marker: `sh`/`bash`/`shell` run with `bash -euo pipefail`, `python` runs with python3,
 *   `js`/`javascript`/`mjs` runs as an ES module with Node; any other block is unclassified, which fails.
 */

export type MarkerKind = 'skip' | 'env' | 'start' | 'output' | 'relay-output';
export type RunKind = 'shell' | 'python' | 'node';

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence */
  line: number;
  /** the first word of the info string, lower-cased ('' when none) */
  lang: string;
  text: string;
  marker?: { kind: MarkerKind; arg: string };
  /** the nearest heading above the block */
  heading: string;
}

export interface ParsedDoc {
  blocks: DocBlock[];
  /** problems found while parsing: stray or unknown markers, unclosed fences */
  problems: string[];
}

const MARKER = /^\s*<!--\s*docs-check:\s*(\S+)\s*(.*?)\s*-->\s*$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)?.*$/;
const KINDS: readonly MarkerKind[] = ['skip', 'env', 'start', 'output', 'relay-output'];

export function parseDoc(file: string, md: string): ParsedDoc {
  const lines = md.split('\n');
  const blocks: DocBlock[] = [];
  const problems: string[] = [];
  let heading = '';
  let pending: { kind: MarkerKind; arg: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const indent = fence[1]!.length;
      const mark = fence[2]!;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j]!;
        if (l.trim().startsWith(mark[0]!.repeat(mark.length)) && l.trim().replace(/[`~]/g, '') === '') break;
        body.push(l.startsWith(' '.repeat(indent)) ? l.slice(indent) : l.trimStart());
      }
      if (j >= lines.length) problems.push(`${file}:${i + 1}: the code block is never closed`);
      blocks.push({
        file,
        line: i + 1,
        lang: (fence[3] ?? '').toLowerCase(),
        text: body.join('\n'),
        marker: pending && { kind: pending.kind, arg: pending.arg },
        heading,
      });
      pending = undefined;
      i = j;
      continue;
    }
    const marker = MARKER.exec(line);
    if (marker) {
      if (pending) problems.push(`${file}:${pending.line}: a docs-check marker not followed by a code block`);
      const kind = marker[1] as MarkerKind;
      if (!KINDS.includes(kind)) problems.push(`${file}:${i + 1}: unknown docs-check marker "${marker[1]}"`);
      pending = { kind, arg: marker[2] ?? '', line: i + 1 };
      continue;
    }
    if (/^#{1,6}\s/.test(line)) heading = line.replace(/^#+\s*/, '');
    if (pending && line.trim() !== '') {
      problems.push(`${file}:${pending.line}: a docs-check marker not followed by a code block`);
      pending = undefined;
    }
  }
  if (pending) problems.push(`${file}:${pending.line}: a docs-check marker not followed by a code block`);
  return { blocks, problems };
}

/** How an unmarked block runs, from its language; undefined: it must carry a marker. */
export function runKindOf(lang: string): RunKind | undefined {
  if (lang === 'sh' || lang === 'bash' || lang === 'shell') return 'shell';
  if (lang === 'python' || lang === 'py') return 'python';
  if (lang === 'js' || lang === 'javascript' || lang === 'mjs') return 'node';
  return undefined;
}

/** `export NAME=value` lines of an env block (comments and blank lines allowed), or an error. */
export function envAssignments(block: DocBlock): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of block.text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^export ([A-Z_][A-Z0-9_]*)=(\S+)$/.exec(line);
    if (!m)
      throw new Error(
        `${block.file}:${block.line}: an env block may only hold "export NAME=value" lines: ${raw}`,
      );
    out.set(m[1]!, m[2]!);
  }
  if (out.size === 0) throw new Error(`${block.file}:${block.line}: an env block sets nothing`);
  return out;
}

/** Does `actual` match the expected output (line by line; `…` = any text without spaces)? */
export function matchesOutput(expected: string, actual: string): boolean {
  const exp = expected.trim().split('\n');
  const act = actual.trim().split('\n');
  if (exp.length !== act.length) return false;
  return exp.every((e, i) => {
    const re = new RegExp(
      `^${e
        .trim()
        .split('…')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('\\S+')}$`,
    );
    return re.test(act[i]!.trim());
  });
}

/** A Markdown table as rows of cells (header row first, the |---| row dropped). */
export function tablesOf(md: string): string[][][] {
  const tables: string[][][] = [];
  let cur: string[][] | undefined;
  for (const line of md.split('\n')) {
    if (/^\s*\|.*\|\s*$/.test(line)) {
      const cells = line
        .trim()
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|'));
      if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
      cur ??= [];
      cur.push(cells);
    } else if (cur) {
      tables.push(cur);
      cur = undefined;
    }
  }
  if (cur) tables.push(cur);
  return tables;
}
