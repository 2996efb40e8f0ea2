import { describe, expect, it } from 'vitest';
import { createSecretBox, SecretBoxError } from './secret-box.ts';

const SECRET = 'test-user-token-secret-0123456789abcdef';
const box = createSecretBox(SECRET, 'api-key');

/** Runs `fn` and returns the SecretBoxError code it threw (fails if it did not throw one). */
function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SecretBoxError);
    expect(err).toBeInstanceOf(Error);
    expect((err as SecretBoxError).name).toBe('SecretBoxError');
    return (err as SecretBoxError).code;
  }
  throw new Error('expected decrypt to throw');
}

/** Replaces the char at `i` of a base64url string by a different base64url char. */
function flipChar(s: string, i: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const next = alphabet[(alphabet.indexOf(s[i]!) + 1) % 64]!;
  return s.slice(0, i) + next + s.slice(i + 1);
}

describe('createSecretBox', () => {
  it.each([
    ['empty', ''],
    ['ascii', 'sk-1AbCdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNwxyz'],
    ['unicode', 'clé secrète 🔑 — 密钥'],
    ['long', 'x'.repeat(100_000)],
    ['json', JSON.stringify({ region: 'us-east-1', accessKey: 'AKIA…', secret: 'a/b+c=' })],
  ])('round-trips %s plaintext', (_name, plain) => {
    const sealed = box.encrypt(plain);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(plain || '\u0000');
    expect(box.decrypt(sealed)).toBe(plain);
  });

  it('has the documented layout: v1. + base64url(iv 12 ‖ tag 16 ‖ ciphertext)', () => {
    const plain = 'hello';
    const raw = Buffer.from(box.encrypt(plain).slice(3), 'base64url');
    expect(raw.length).toBe(12 + 16 + Buffer.byteLength(plain));
  });

  it('uses a fresh IV per message', () => {
    const ivs = new Set<string>();
    const boxes = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const sealed = box.encrypt('same plaintext');
      boxes.add(sealed);
      ivs.add(Buffer.from(sealed.slice(3), 'base64url').subarray(0, 12).toString('hex'));
    }
    expect(ivs.size).toBe(1_000);
    expect(boxes.size).toBe(1_000);
  });

  it('opens with another instance for the same secret and purpose', () => {
    const sealed = box.encrypt('upstream-key');
    expect(createSecretBox(SECRET, 'api-key').decrypt(sealed)).toBe('upstream-key');
  });

  it('detects tampering anywhere in the box', () => {
    const sealed = box.encrypt('a secret worth protecting');
    // Every character of the base64url body: IV, tag and ciphertext.
    for (let i = 3; i < sealed.length; i++) {
      expect(['auth', 'format']).toContain(errorCode(() => box.decrypt(flipChar(sealed, i))));
    }
    // Byte-level flips (canonical encoding) are always authentication failures.
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    for (const at of [0, 11, 12, 27, 28, raw.length - 1]) {
      const copy = Buffer.from(raw);
      copy[at]! ^= 0x01;
      expect(errorCode(() => box.decrypt(`v1.${copy.toString('base64url')}`))).toBe('auth');
    }
  });

  it('detects truncated and extended ciphertext', () => {
    const raw = Buffer.from(box.encrypt('a secret worth protecting').slice(3), 'base64url');
    const shorter = raw.subarray(0, raw.length - 1).toString('base64url');
    const longer = Buffer.concat([raw, Buffer.from([0])]).toString('base64url');
    expect(errorCode(() => box.decrypt(`v1.${shorter}`))).toBe('auth');
    expect(errorCode(() => box.decrypt(`v1.${longer}`))).toBe('auth');
  });

  it('rejects a wrong secret', () => {
    const sealed = box.encrypt('payload');
    const other = createSecretBox(`${SECRET}x`, 'api-key');
    expect(errorCode(() => other.decrypt(sealed))).toBe('auth');
  });

  it('rejects a wrong purpose', () => {
    const sealed = box.encrypt('payload');
    const channels = createSecretBox(SECRET, 'channel-key');
    expect(errorCode(() => channels.decrypt(sealed))).toBe('auth');
    expect(channels.decrypt(channels.encrypt('payload'))).toBe('payload');
  });

  it.each([
    ['empty string', ''],
    ['no prefix', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['unknown version', 'v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['prefix only', 'v1.'],
    ['too short for iv and tag', `v1.${Buffer.alloc(27).toString('base64url')}`],
    ['standard base64 chars', 'v1.AAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAA/'],
    ['padding', `v1.${Buffer.alloc(29).toString('base64')}`],
    ['whitespace', `v1.${Buffer.alloc(40).toString('base64url')} `],
    ['non-canonical trailing bits', `v1.${Buffer.alloc(29).toString('base64url').slice(0, -1)}B`],
    ['impossible length', `v1.${Buffer.alloc(30).toString('base64url')}A`],
  ])('rejects malformed input: %s', (_name, input) => {
    expect(errorCode(() => box.decrypt(input))).toBe('format');
  });

  it('rejects non-string input as format', () => {
    expect(errorCode(() => box.decrypt(undefined as unknown as string))).toBe('format');
  });

  it('requires a secret and a purpose', () => {
    expect(() => createSecretBox('', 'api-key')).toThrow(TypeError);
    expect(() => createSecretBox(SECRET, '')).toThrow(TypeError);
  });

  it('does not leak the plaintext in error messages', () => {
    const sealed = box.encrypt('top-secret-value');
    try {
      createSecretBox(SECRET, 'other').decrypt(sealed);
    } catch (err) {
      expect(String(err)).not.toContain('top-secret-value');
    }
  });
});
