import type { Snapshot } from '@tollgate/shared/snapshot/types.ts';
import { createWordMatcher, type WordMatcher } from './word-matcher.ts';

/** What the sensitive-word setting says to do with a prompt that matches. */
export type SensitiveAction = 'log' | 'refuse';

export interface ScreenHit {
  words: string[];
  action: SensitiveAction;
}

/** The settings (in `snapshot.config.settings`) the screen reads; written by the control plane. */
export const SENSITIVE_WORDS_SETTING = 'sensitive_words';
export const SENSITIVE_ACTION_SETTING = 'sensitive_words_action';

/** The prompt text of an OpenAI request body: messages, `prompt`, Responses `input`/`instructions`. */
export function promptTextOf(json: Record<string, unknown>): string {
  const parts: string[] = [];
  const add = (v: unknown, depth: number) => {
    if (typeof v === 'string') parts.push(v);
    else if (depth > 4) return;
    else if (Array.isArray(v)) for (const x of v) add(x, depth + 1);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // message { content }, content part { text }, Responses item { content } / { text }
      if ('content' in o) add(o.content, depth + 1);
      if (typeof o.text === 'string') parts.push(o.text);
    }
  };
  add(json.messages, 0);
  add(json.prompt, 0);
  add(json.input, 0);
  add(json.instructions, 0);
  add(json.system, 0);
  return parts.join('\n');
}

/**
 * Matches prompts against the sensitive-word list of the snapshot in force. The automaton is built
 * once per config part (a new config part object = a new snapshot of configuration), and nothing is
 * scanned while the list is empty.
 */
export function createPromptScreen(): (
  snapshot: Snapshot,
  json: Record<string, unknown>,
) => ScreenHit | undefined {
  const cache = new WeakMap<object, { matcher: WordMatcher; action: SensitiveAction } | null>();
  const compiled = (snapshot: Snapshot) => {
    const settings = snapshot.config.settings;
    let entry = cache.get(settings);
    if (entry === undefined) {
      const list = settings[SENSITIVE_WORDS_SETTING];
      const words = Array.isArray(list) ? list.filter((w): w is string => typeof w === 'string') : [];
      const matcher = words.length > 0 ? createWordMatcher(words) : undefined;
      entry =
        matcher && matcher.size > 0
          ? { matcher, action: settings[SENSITIVE_ACTION_SETTING] === 'refuse' ? 'refuse' : 'log' }
          : null;
      cache.set(settings, entry);
    }
    return entry;
  };
  return (snapshot, json) => {
    const entry = compiled(snapshot);
    if (!entry) return undefined;
    const words = entry.matcher.find(promptTextOf(json));
    return words.length > 0 ? { words, action: entry.action } : undefined;
  };
}
