/**
 * Fixed-length base62 (`0-9A-Za-z`) encoding of byte strings.
 *
 * Why: secondary API keys must be copy-paste and URL safe (no `+/=_-`, which some clients and shells
 * mangle) and have a constant length, so a key can be rejected on its length alone. A byte string of
 * a given size always encodes to the same number of characters: the value is left-padded with `'0'`
 * (the zero digit), e.g. 16 bytes → always 22 characters.
 *
 * The arithmetic works on small integers over the byte array (schoolbook division / multiply-add), so
 * there is no BigInt and, for {@link decodeBase62Into}, no allocation at all: the key verification
 * hot path decodes into a reusable buffer.
 */

/** The 62 digits in value order: `'0'` is 0, `'z'` is 61. Sorting encoded strings sorts their values. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Char code → digit value, or -1 for a character outside the alphabet (codes ≥ 128 are never digits). */
const DIGIT_OF = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE62_ALPHABET.length; i++) table[BASE62_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

const lengthCache: number[] = [];

/**
 * Number of base62 characters for `byteLength` bytes: the smallest `L` with `62^L ≥ 256^byteLength`.
 * Computed exactly (not with floating-point logarithms) so every byte value fits and the result is
 * stable. Example: 16 → 22, 32 → 43.
 */
export function base62Length(byteLength: number): number {
  if (!Number.isSafeInteger(byteLength) || byteLength < 0) {
    throw new RangeError(`base62Length: invalid byte length ${byteLength}`);
  }
  const cached = lengthCache[byteLength];
  if (cached !== undefined) return cached;
  const limit = 1n << BigInt(byteLength * 8);
  let length = 0;
  for (let power = 1n; power < limit; power *= 62n) length++;
  if (byteLength < 1024) lengthCache[byteLength] = length;
  return length;
}

/**
 * True when `text` is non-empty and contains only base62 digits. Used to reject malformed input
 * cheaply before any cryptography runs.
 */
export function isBase62(text: string, start = 0, end = text.length): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || DIGIT_OF[code]! < 0) return false;
  }
  return true;
}

/**
 * Encodes `bytes` (big-endian unsigned integer) as exactly `base62Length(bytes.length)` characters,
 * left-padded with `'0'`. Leading zero bytes are kept in the length, so the output length depends on
 * the byte count only, never on the value.
 */
export function encodeBase62(bytes: Uint8Array): string {
  const outLength = base62Length(bytes.length);
  const work = Uint8Array.from(bytes); // divided in place, the caller's buffer is untouched
  const codes = new Array<number>(outLength);
  for (let i = outLength - 1; i >= 0; i--) {
    // One long division of the whole number by 62; the remainder is the next least significant digit.
    let rem = 0;
    for (let j = 0; j < work.length; j++) {
      const acc = rem * 256 + work[j]!;
      const q = (acc / 62) | 0;
      work[j] = q;
      rem = acc - q * 62;
    }
    codes[i] = BASE62_ALPHABET.charCodeAt(rem);
  }
  return String.fromCharCode(...codes);
}

/**
 * Decodes `text.slice(start, end)` into `target` (overwriting all of it) without allocating.
 * Returns false — leaving `target` in an unspecified state — when the slice is not exactly
 * `base62Length(target.length)` characters, holds a non-base62 character, or encodes a value that does
 * not fit in `target.length` bytes (non-canonical input; the encoder never produces it).
 */
export function decodeBase62Into(text: string, target: Uint8Array, start = 0, end = text.length): boolean {
  if (end - start !== base62Length(target.length)) return false;
  target.fill(0);
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? DIGIT_OF[code]! : -1;
    if (digit < 0) return false;
    // target = target * 62 + digit, least significant byte last.
    let carry = digit;
    for (let j = target.length - 1; j >= 0; j--) {
      const acc = target[j]! * 62 + carry;
      target[j] = acc & 0xff;
      carry = acc >>> 8;
    }
    if (carry !== 0) return false;
  }
  return true;
}

/**
 * Decodes a fixed-length base62 string produced by {@link encodeBase62} for `byteLength` bytes.
 * Throws a RangeError on a wrong length, a non-base62 character or an out-of-range value, so every
 * accepted string has exactly one decoding and round-trips to itself.
 */
export function decodeBase62(text: string, byteLength: number): Uint8Array {
  const out = new Uint8Array(byteLength);
  if (!decodeBase62Into(text, out)) {
    throw new RangeError(
      `decodeBase62: not a ${base62Length(byteLength)}-char base62 value of ${byteLength} bytes`,
    );
  }
  return out;
}
