import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en, type MessageKey } from './en.ts';
import { zhCN } from './zh-CN.ts';

/*
 * The message files are complete and every user-visible string of the pages comes from them.
 * Node environment: the pages are read as text, never rendered.
 */

const srcDir = join(import.meta.dirname, '..');

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogs', () => {
  it('zh-CN has exactly the keys of en, none empty', () => {
    const enKeys = Object.keys(en).sort();
    const zhKeys = Object.keys(zhCN).sort();
    expect(
      zhKeys.filter((k) => !(k in en)),
      'keys in zh-CN that en does not have',
    ).toEqual([]);
    expect(
      enKeys.filter((k) => !(k in zhCN)),
      'keys of en missing from zh-CN',
    ).toEqual([]);
    const empty = Object.entries(zhCN).filter(([, v]) => typeof v !== 'string' || v.trim() === '');
    expect(
      empty.map(([k]) => k),
      'empty translations',
    ).toEqual([]);
    expect(
      Object.entries(en)
        .filter(([, v]) => v.trim() === '')
        .map(([k]) => k),
      'empty English messages',
    ).toEqual([]);
  });

  it('every translation keeps the placeholders of the English message', () => {
    const mismatched = (Object.keys(en) as MessageKey[])
      .filter((k) => k in zhCN)
      .filter((k) => placeholders(en[k]).join(',') !== placeholders(zhCN[k]).join(','))
      .map(
        (k) => `${k}: en {${placeholders(en[k]).join('}{')}} vs zh-CN {${placeholders(zhCN[k]).join('}{')}}`,
      );
    expect(mismatched).toEqual([]);
  });

  it('the Chinese catalog is actually Chinese', () => {
    // a key left in English is a missed translation, unless it is a name or code that stays as is
    const sameAsEnglish = (Object.keys(en) as MessageKey[]).filter(
      (k) => /[a-z]{3,}/i.test(en[k].replace(/\{\w+\}/g, '')) && zhCN[k] === en[k] && !UNTRANSLATED.has(k),
    );
    expect(sameAsEnglish).toEqual([]);
  });
});

/** Messages that read the same in Chinese (product names, code, language names). */
const UNTRANSLATED = new Set<string>([
  'app.name',
  'payments.ls',
  'docs.lang.curl',
  'docs.lang.python',
  'docs.lang.node',
  'docs.errors.col.status',
  'account.language.en',
  'locale.name.en',
  'codes.csv',
  'topup.redeemPlaceholder',
  'channels.field.baseUrlPlaceholder',
  'channels.field.keysPlaceholder',
  'channels.field.modelsPlaceholder',
  'channels.field.mappingPlaceholder',
  'groups.field.namePlaceholder',
  'prices.field.modelPlaceholder',
  'alerts.notifier.webhook',
  'alerts.notifier.telegram',
  'alerts.notifier.slack',
  'alerts.field.url',
]);

// ---------------------------------------------------------------------------------------------------
// Hard-coded UI strings

/** Attributes a user reads or hears. */
const VISIBLE_ATTRS = ['placeholder', 'title', 'aria-label', 'alt', 'label'];

export interface Offender {
  line: number;
  text: string;
}

/** Blanks out a match but keeps its newlines, so line numbers stay right. */
const blank = (s: string) => s.replace(/[^\n]/g, ' ');

/**
 * JSX text nodes and visible attributes with literal text in one .tsx source. A deliberately simple
 * scan: comments, arrow/comparison operators and TypeScript generics are blanked first, then every
 * run of text between `>` and `<` that still has a letter once `{...}` expressions are dropped is
 * hard-coded copy.
 */
export function findHardCodedStrings(source: string): Offender[] {
  let code = source
    .replace(/\/\*[\s\S]*?\*\//g, blank) // block comments, {/* JSX comments */}
    .replace(/(^|[^:'"`\\])\/\/[^\n]*/g, (m, pre: string) => pre + blank(m.slice(pre.length))) // line comments (not URLs)
    .replace(/=>|>=|<=|>>>?|<</g, blank) // arrows, comparisons, shifts
    .replace(/\s[<>]\s/g, blank); // `a < b`, `a > b` (JSX never has a space after `<`)
  // TypeScript generics and type arguments (`createSignal<string>`, `Record<K, Array<V>>`): an
  // identifier directly followed by `<` is never a JSX tag; innermost first
  for (let prev = ''; prev !== code; ) {
    prev = code;
    code = code.replace(/([\w$\]])<([^<>()]*)>/g, (m, pre: string) => pre + blank(m.slice(pre.length)));
  }

  const offenders: Offender[] = [];
  const lineOf = (index: number) => code.slice(0, index).split('\n').length;

  for (const m of code.matchAll(/>([^<>]*)</g)) {
    let text = m[1]!;
    for (let prev = ''; prev !== text; ) {
      prev = text;
      text = text.replace(/\{[^{}]*\}/g, ' ');
    }
    // an expression that opens before a nested element (`{(k) => <option>`) or closes after one
    text = text.replace(/\{[^}]*$/, ' ').replace(/^[^{]*\}/, ' ');
    text = text.replace(/&[a-z]+;|&#\d+;/gi, ' ').trim();
    // code that only looks like text: the scan landed between a closing `>` and a later `<` outside JSX
    if (/[;=[\]`]|\breturn\b|\bconst\b|\bfunction\b/.test(text)) continue;
    if (/\p{L}/u.test(text)) offenders.push({ line: lineOf(m.index + 1), text: text.replace(/\s+/g, ' ') });
  }

  const attr = new RegExp(
    `\\s(${VISIBLE_ATTRS.join('|')})=(?:"([^"]*)"|'([^']*)'|\\{\\s*(?:"([^"]*)"|'([^']*)'|\`([^\`$]*)\`)\\s*\\})`,
    'g',
  );
  for (const m of code.matchAll(attr)) {
    const value = m[2] ?? m[3] ?? m[4] ?? m[5] ?? m[6] ?? '';
    if (/\p{L}/u.test(value)) offenders.push({ line: lineOf(m.index), text: `${m[1]}="${value}"` });
  }

  // messages handed straight to the user
  for (const m of code.matchAll(
    /\b(confirm|alert|showError|showSuccess|setError|setNotice)\(\s*(['"`])([^'"`]*)\2/g,
  )) {
    if (/\p{L}/u.test(m[3]!))
      offenders.push({ line: lineOf(m.index), text: `${m[1]}(${m[2]}${m[3]}${m[2]})` });
  }
  return offenders.sort((a, b) => a.line - b.line);
}

function tsxFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsxFiles(path);
    return path.endsWith('.tsx') ? [path] : [];
  });
}

describe('no hard-coded UI strings', () => {
  it('the scan finds text nodes and visible attributes, and ignores code', () => {
    const sample = [
      'const [x, setX] = createSignal<string | null>(null);', // generic, not a tag
      'const big = a > b && c < d;', // comparisons
      'const rec: Record<string, Array<number>> = {};',
      'return (',
      '  <div class="card" data-testid="hello-world" onClick={() => setX("y")}>', // arrow inside a tag
      '    {/* a comment with words */}',
      '    <h1>{t("page.title")}</h1>',
      '    <p>Hard-coded words</p>',
      '    <span>{n()} · {t("x")}</span>',
      '    <input placeholder="Type here" title={t("a")} aria-label={"Close"} alt="" />',
      '    <b>',
      '      Multi-line text',
      '    </b>',
      '    <code>123 / 456</code>',
      '    <a href="https://example.com">{t("link")}</a>',
      '  </div>',
      ');',
      'if (!ok) setError("Something broke");',
    ].join('\n');
    expect(findHardCodedStrings(sample)).toEqual([
      { line: 8, text: 'Hard-coded words' },
      { line: 10, text: 'placeholder="Type here"' },
      { line: 10, text: 'aria-label="Close"' },
      { line: 11, text: 'Multi-line text' },
      { line: 18, text: 'setError("Something broke")' },
    ]);
  });

  it('every .tsx under routes/ and components/ takes its text from the message files', () => {
    const report: string[] = [];
    for (const dir of ['routes', 'components']) {
      for (const file of tsxFiles(join(srcDir, dir))) {
        for (const o of findHardCodedStrings(readFileSync(file, 'utf8'))) {
          report.push(`${relative(srcDir, file)}:${o.line}  ${o.text}`);
        }
      }
    }
    expect(
      report,
      `hard-coded UI strings (move them to i18n/en.ts and zh-CN.ts):\n${report.join('\n')}`,
    ).toEqual([]);
  });
});
