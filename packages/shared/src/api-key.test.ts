import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyCheck } from './api-key.ts';
import {
  API_KEY_LENGTH,
  extractApiKey,
  generateApiKey,
  hashApiKey,
  maskApiKey,
  verifyApiKey,
} from './api-key.ts';
import {
  BASE62_ALPHABET,
  base62Length,
  decodeBase62,
  decodeBase62Into,
  encodeBase62,
  isBase62,
} from './base62.ts';

const SECRET = 'test-user-token-secret-0123456789abcdef';
const OTHER_SECRET = 'another-user-token-secret-0123456789abc';

/** Independent reference encoder (BigInt) to check the hand-rolled arithmetic against. */
function refEncode(bytes: Uint8Array, length: number): string {
  let n = bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = BASE62_ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(length, '0');
}

function randomBase62(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += BASE62_ALPHABET[randomInt(62)];
  return s;
}

/** Builds a key the way the spec describes, independently of the module under test. */
function specKey(secret: string, versionChar: string, randomPart: string): string {
  const mac = createHmac('sha256', secret).update(`tollgate-key:v1:${versionChar}${randomPart}`).digest();
  return `sk-${versionChar}${randomPart}${refEncode(mac.subarray(0, 16), 22)}`;
}

/** Replaces the char at `i` by a different base62 char. */
function flip(key: string, i: number): string {
  const c = key[i]!;
  const next = BASE62_ALPHABET[(BASE62_ALPHABET.indexOf(c) + 1 + randomInt(61)) % 62]!;
  return key.slice(0, i) + next + key.slice(i + 1);
}

describe('base62', () => {
  it.each([
    [0, 0],
    [1, 2],
    [2, 3],
    [8, 11],
    [16, 22],
    [32, 43],
  ])('base62Length(%i) = %i', (bytes, chars) => {
    expect(base62Length(bytes)).toBe(chars);
    expect(62n ** BigInt(chars)).toBeGreaterThanOrEqual(256n ** BigInt(bytes));
  });

  it.each([
    ['zero', new Uint8Array(16), '0'.repeat(22)],
    ['one', Uint8Array.from([...new Array(15).fill(0), 1]), `${'0'.repeat(21)}1`],
    ['61', Uint8Array.from([61]), '0z'],
    ['62', Uint8Array.from([62]), '10'],
    ['max 16 bytes', new Uint8Array(16).fill(0xff), refEncode(new Uint8Array(16).fill(0xff), 22)],
  ])('encodes %s', (_name, bytes, expected) => {
    expect(encodeBase62(bytes)).toBe(expected);
    expect(decodeBase62(expected, bytes.length)).toEqual(bytes);
  });

  it('round-trips random values at a fixed length and matches a BigInt reference', () => {
    for (const size of [1, 5, 16, 32]) {
      for (let i = 0; i < 300; i++) {
        const bytes = new Uint8Array(randomBytes(size));
        const text = encodeBase62(bytes);
        expect(text).toHaveLength(base62Length(size));
        expect(text).toBe(refEncode(bytes, base62Length(size)));
        expect(decodeBase62(text, size)).toEqual(bytes);
      }
    }
  });

  it('does not modify its input', () => {
    const bytes = new Uint8Array(randomBytes(16));
    const copy = Uint8Array.from(bytes);
    encodeBase62(bytes);
    expect(bytes).toEqual(copy);
  });

  it.each([
    ['too short', '0'.repeat(21)],
    ['too long', '0'.repeat(23)],
    ['bad char', `${'0'.repeat(21)}-`],
    ['non-ascii', `${'0'.repeat(21)}é`],
    ['overflow', 'z'.repeat(22)],
  ])('rejects %s', (_name, text) => {
    expect(() => decodeBase62(text, 16)).toThrow(RangeError);
    expect(decodeBase62Into(text, new Uint8Array(16))).toBe(false);
  });

  it('isBase62 checks the charset of a range', () => {
    expect(isBase62('abcXYZ019')).toBe(true);
    expect(isBase62('')).toBe(false);
    expect(isBase62('ab_c')).toBe(false);
    expect(isBase62('sk-abc', 3)).toBe(true);
  });
});

describe('generateApiKey', () => {
  it('produces 48-char sk-1 keys that verify', () => {
    for (let i = 0; i < 200; i++) {
      const key = generateApiKey(SECRET);
      expect(key).toHaveLength(48);
      expect(key).toHaveLength(API_KEY_LENGTH);
      expect(key).toMatch(/^sk-1[0-9A-Za-z]{44}$/);
      expect(verifyApiKey(key, SECRET)).toEqual({ ok: true });
    }
  });

  it('follows the documented v1 format exactly', () => {
    const key = generateApiKey(SECRET);
    expect(specKey(SECRET, '1', key.slice(4, 26))).toBe(key);
    // The random part is a canonical 16-byte value.
    expect(() => decodeBase62(key.slice(4, 26), 16)).not.toThrow();
  });

  it('accepts keys built independently from the spec', () => {
    expect(verifyApiKey(specKey(SECRET, '1', '0'.repeat(22)), SECRET)).toEqual({ ok: true });
    expect(verifyApiKey(specKey(SECRET, '1', refEncode(randomBytes(16), 22)), SECRET)).toEqual({ ok: true });
  });

  it('never repeats (10k keys)', () => {
    const keys = new Set<string>();
    const randoms = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const key = generateApiKey(SECRET);
      keys.add(key);
      randoms.add(key.slice(4, 26));
    }
    expect(keys.size).toBe(10_000);
    expect(randoms.size).toBe(10_000);
  });

  it('rejects an empty secret', () => {
    expect(() => generateApiKey('')).toThrow(TypeError);
    expect(() => verifyApiKey(generateApiKey(SECRET), '')).toThrow(TypeError);
  });
});

describe('verifyApiKey', () => {
  const valid = generateApiKey(SECRET);
  const random22 = refEncode(randomBytes(16), 22);

  const cases: Array<[string, () => string, ApiKeyCheck]> = [
    ['valid key', () => valid, { ok: true }],
    ['empty string', () => '', { ok: false, reason: 'format' }],
    ['prefix only', () => 'sk-', { ok: false, reason: 'format' }],
    ['missing prefix', () => valid.slice(3), { ok: false, reason: 'format' }],
    ['wrong prefix', () => `pk-${valid.slice(3)}`, { ok: false, reason: 'format' }],
    ['upper-case prefix', () => `SK-${valid.slice(3)}`, { ok: false, reason: 'format' }],
    ['truncated by one', () => valid.slice(0, -1), { ok: false, reason: 'format' }],
    ['truncated to half', () => valid.slice(0, 24), { ok: false, reason: 'format' }],
    ['extended by one', () => `${valid}A`, { ok: false, reason: 'format' }],
    ['surrounding whitespace', () => ` ${valid} `, { ok: false, reason: 'format' }],
    ['trailing newline', () => `${valid.slice(0, -1)}\n`, { ok: false, reason: 'format' }],
    ['dash in body', () => `${valid.slice(0, 10)}-${valid.slice(11)}`, { ok: false, reason: 'format' }],
    ['underscore in body', () => `${valid.slice(0, 40)}_${valid.slice(41)}`, { ok: false, reason: 'format' }],
    ['non-ascii in body', () => `${valid.slice(0, 20)}é${valid.slice(21)}`, { ok: false, reason: 'format' }],
    ['non-base62 version char', () => `sk-_${valid.slice(4)}`, { ok: false, reason: 'format' }],
    ['forged: random body', () => `sk-1${randomBase62(44)}`, { ok: false, reason: 'signature' }],
    [
      'forged: canonical random signature',
      () => `sk-1${random22}${refEncode(randomBytes(16), 22)}`,
      { ok: false, reason: 'signature' },
    ],
    ['wrong secret', () => generateApiKey(OTHER_SECRET), { ok: false, reason: 'signature' }],
    [
      'version 2 with valid-looking signature',
      () => specKey(SECRET, '2', random22),
      { ok: false, reason: 'version' },
    ],
    ['version 0', () => specKey(SECRET, '0', random22), { ok: false, reason: 'version' }],
    ['tampered random part (first)', () => flip(valid, 4), { ok: false, reason: 'signature' }],
    ['tampered random part (last)', () => flip(valid, 25), { ok: false, reason: 'signature' }],
    ['tampered signature (first)', () => flip(valid, 26), { ok: false, reason: 'signature' }],
    ['tampered signature (last)', () => flip(valid, 47), { ok: false, reason: 'signature' }],
    [
      'non-canonical signature (overflow)',
      () => `${valid.slice(0, 26)}${'z'.repeat(22)}`,
      { ok: false, reason: 'signature' },
    ],
  ];

  it.each(cases)('%s', (_name, make, expected) => {
    expect(verifyApiKey(make(), SECRET)).toEqual(expected);
  });

  it('rejects a single-char change at every position of the body', () => {
    for (let i = 4; i < 48; i++) {
      expect(verifyApiKey(flip(valid, i), SECRET)).toEqual({ ok: false, reason: 'signature' });
    }
  });

  it('rejects many random forgeries', () => {
    for (let i = 0; i < 2_000; i++) {
      expect(verifyApiKey(`sk-1${randomBase62(44)}`, SECRET).ok).toBe(false);
    }
  });

  it('handles non-string input without throwing', () => {
    expect(verifyApiKey(undefined as unknown as string, SECRET)).toEqual({ ok: false, reason: 'format' });
    expect(verifyApiKey(null as unknown as string, SECRET)).toEqual({ ok: false, reason: 'format' });
  });

  it('works with several secrets at once (rotation)', () => {
    const a = generateApiKey(SECRET);
    const b = generateApiKey(OTHER_SECRET);
    for (let i = 0; i < 3; i++) {
      expect(verifyApiKey(a, SECRET).ok).toBe(true);
      expect(verifyApiKey(b, OTHER_SECRET).ok).toBe(true);
      expect(verifyApiKey(a, OTHER_SECRET)).toEqual({ ok: false, reason: 'signature' });
      expect(verifyApiKey(b, SECRET)).toEqual({ ok: false, reason: 'signature' });
    }
    // Many distinct secrets (beyond the cache size) still verify correctly.
    for (let i = 0; i < 20; i++) {
      const s = `${SECRET}-${i}`;
      expect(verifyApiKey(generateApiKey(s), s).ok).toBe(true);
    }
    expect(verifyApiKey(a, SECRET).ok).toBe(true);
  });
});

describe('hashApiKey', () => {
  it('is 64 lower-case hex and stable', () => {
    const key = generateApiKey(SECRET);
    const h = hashApiKey(key);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).toBe(h);
    expect(h).toBe(createHash('sha256').update(key).digest('hex'));
  });

  it('matches the SHA-256 test vector', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('differs between keys', () => {
    expect(hashApiKey(generateApiKey(SECRET))).not.toBe(hashApiKey(generateApiKey(SECRET)));
  });
});

describe('maskApiKey', () => {
  it('keeps the first 6 and last 4 chars', () => {
    const key = 'sk-1AbCdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNwxyz';
    expect(key).toHaveLength(48);
    expect(maskApiKey(key)).toBe('sk-1Ab…wxyz');
  });

  it('never reveals the random part of a generated key', () => {
    const key = generateApiKey(SECRET);
    const masked = maskApiKey(key);
    expect(masked).toBe(`${key.slice(0, 6)}…${key.slice(-4)}`);
    expect(masked).not.toContain(key.slice(6, 26));
  });

  it.each([
    ['', '…'],
    ['sk-', 'sk-…'],
    ['sk-123456789', 'sk-…'],
    ['hunter2', '…'],
  ])('collapses short input %j', (input, expected) => {
    expect(maskApiKey(input)).toBe(expected);
  });
});

describe('extractApiKey', () => {
  const KEY = 'sk-1AbCdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNwxyz';

  it.each<[string, Record<string, string>, string | undefined]>([
    ['Bearer', { authorization: `Bearer ${KEY}` }, KEY],
    ['lower-case bearer', { authorization: `bearer ${KEY}` }, KEY],
    ['upper-case BEARER', { authorization: `BEARER ${KEY}` }, KEY],
    ['extra spaces and tab', { authorization: `  Bearer \t  ${KEY}  ` }, KEY],
    ['raw key in Authorization', { authorization: KEY }, KEY],
    ['Bearer without token falls through', { authorization: 'Bearer', 'x-api-key': KEY }, KEY],
    ['Bearer + spaces falls through', { authorization: 'Bearer   ', 'x-api-key': KEY }, KEY],
    ['other scheme kept verbatim', { authorization: 'Basic dXNlcjpwYXNz' }, 'Basic dXNlcjpwYXNz'],
    ['Bearer only stripped once', { authorization: `Bearer Bearer ${KEY}` }, `Bearer ${KEY}`],
    ['"Bearerx" is not a scheme', { authorization: `Bearer${KEY}` }, `Bearer${KEY}`],
    ['x-api-key', { 'x-api-key': KEY }, KEY],
    ['x-api-key trimmed', { 'x-api-key': `  ${KEY}\t` }, KEY],
    ['x-api-key with Bearer', { 'x-api-key': `Bearer ${KEY}` }, KEY],
    ['api-key', { 'api-key': KEY }, KEY],
    ['Authorization beats x-api-key', { authorization: `Bearer ${KEY}`, 'x-api-key': 'other' }, KEY],
    ['Authorization beats api-key', { authorization: `Bearer ${KEY}`, 'api-key': 'other' }, KEY],
    ['x-api-key beats api-key', { 'x-api-key': KEY, 'api-key': 'other' }, KEY],
    ['empty Authorization falls through', { authorization: '', 'x-api-key': KEY }, KEY],
    ['blank x-api-key falls through', { 'x-api-key': '   ', 'api-key': KEY }, KEY],
    ['no headers', {}, undefined],
    ['all blank', { authorization: ' ', 'x-api-key': '', 'api-key': 'Bearer ' }, undefined],
  ])('%s', (_name, init, expected) => {
    expect(extractApiKey(new Headers(init))).toBe(expected);
  });

  it('accepts any object with get() returning null or undefined', () => {
    const map = new Map<string, string>([['api-key', KEY]]);
    expect(extractApiKey({ get: (name) => map.get(name) })).toBe(KEY);
    expect(extractApiKey({ get: () => null })).toBeUndefined();
  });

  it('feeds verifyApiKey end to end', () => {
    const key = generateApiKey(SECRET);
    const presented = extractApiKey(new Headers({ Authorization: `Bearer ${key}` }));
    expect(presented).toBe(key);
    expect(verifyApiKey(presented!, SECRET)).toEqual({ ok: true });
  });
});
