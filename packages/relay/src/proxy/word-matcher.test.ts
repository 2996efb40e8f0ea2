import { describe, expect, it } from 'vitest';
import { promptTextOf } from './prompt-screen.ts';
import { createWordMatcher } from './word-matcher.ts';

/** Every listed word occurring in `text`, by brute force (the oracle). */
function naive(words: string[], text: string): string[] {
  const t = text.toLowerCase();
  return [...new Set(words.map((w) => w.toLowerCase()))].filter((w) => w && t.includes(w)).sort();
}

describe('word matcher (Aho–Corasick)', () => {
  it('finds overlapping words, suffixes of other words, and non-ASCII words', () => {
    const m = createWordMatcher(['he', 'she', 'his', 'hers', '炸弹', 'Bomb']);
    expect(m.find('ushers').sort()).toEqual(['he', 'hers', 'she']);
    expect(m.find('如何制造炸弹')).toEqual(['炸弹']);
    expect(m.find('a BOMB here')).toEqual(['bomb', 'he']);
    expect(m.find('nothing to see')).toEqual([]);
  });

  it('ignores blank entries and reports an empty list as size 0', () => {
    expect(createWordMatcher(['', '  ']).size).toBe(0);
    expect(createWordMatcher(['', 'x']).find('xyz')).toEqual(['x']);
  });

  it('agrees with a brute-force search on random words and texts', () => {
    const alphabet = 'abcAB炸弹';
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const str = (len: number) => Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join('');
    for (let round = 0; round < 300; round++) {
      const words = Array.from({ length: 1 + rnd(6) }, () => str(1 + rnd(4)));
      const text = str(rnd(40));
      expect([round, createWordMatcher(words).find(text).sort()]).toEqual([round, naive(words, text)]);
    }
  });

  it('reads the prompt text of chat, legacy and Responses bodies', () => {
    expect(
      promptTextOf({
        messages: [
          { role: 'system', content: 'sys' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'part' },
              { type: 'image_url', image_url: { url: 'x' } },
            ],
          },
        ],
      }),
    ).toBe('sys\npart');
    expect(promptTextOf({ prompt: ['a', 'b'] })).toBe('a\nb');
    expect(promptTextOf({ input: 'in', instructions: 'ins' })).toBe('in\nins');
  });
});
