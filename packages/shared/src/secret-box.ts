/**
 * Authenticated symmetric encryption of secrets at rest: secondary key plaintext (so a user can reveal
 * their key again) and channel upstream keys.
 *
 * - AES-256-GCM with a fresh 12-byte random IV per message and a 16-byte tag, so tampering or a wrong
 *   key is detected instead of yielding garbage.
 * - The AES key is derived with HKDF-SHA256 from the configured secret with info `tollgate:${purpose}`
 *   (empty salt), so each purpose gets an independent key: a box sealed for one purpose cannot be
 *   opened as another, and the raw secret is never used directly as an AES key.
 * - Output: `v1.` + base64url(iv ‖ tag ‖ ciphertext) — ASCII, safe in a TEXT/VARCHAR column, with a
 *   version prefix for future rotation.
 *
 * Changing the salt, info string or layout breaks every stored box: treat them as a storage format.
 */

import type { KeyObject } from 'node:crypto';
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';

/** Seals and opens strings for one purpose. */
export type SecretBox = {
  /** Encrypts `plain` (UTF-8) into a `v1.` box; each call uses a new IV, so equal inputs differ. */
  encrypt(plain: string): string;
  /** Opens a box made by `encrypt` with the same secret and purpose; throws {@link SecretBoxError}. */
  decrypt(box: string): string;
};

/** Why a box could not be opened: `format` = not a well-formed v1 box; `auth` = tampered or wrong key. */
export type SecretBoxErrorCode = 'format' | 'auth';

/**
 * Thrown by {@link SecretBox.decrypt}. Typed so callers can tell a corrupt row (`format`) from a
 * secret/purpose mismatch or tampering (`auth`) without parsing messages. Never carries plaintext.
 */
export class SecretBoxError extends Error {
  readonly code: SecretBoxErrorCode;

  constructor(code: SecretBoxErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretBoxError';
    this.code = code;
  }
}

const VERSION_PREFIX = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const ALGORITHM = 'aes-256-gcm';
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Creates a box for `purpose` (e.g. `api-key`, `channel-key`) keyed from `secret` (the
 * `user_token_secret`). Derivation runs once here, so create boxes at start-up and reuse them.
 */
export function createSecretBox(secret: string, purpose: string): SecretBox {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('secret-box: secret must be a non-empty string');
  }
  if (typeof purpose !== 'string' || purpose.length === 0) {
    throw new TypeError('secret-box: purpose must be a non-empty string');
  }
  const key: KeyObject = createSecretKey(
    Buffer.from(hkdfSync('sha256', secret, '', `tollgate:${purpose}`, KEY_BYTES)),
  );

  return {
    encrypt(plain: string): string {
      if (typeof plain !== 'string') throw new TypeError('secret-box: plaintext must be a string');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      const head = cipher.update(plain, 'utf8');
      const tail = cipher.final();
      return VERSION_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), head, tail]).toString('base64url');
    },

    decrypt(box: string): string {
      if (typeof box !== 'string' || !box.startsWith(VERSION_PREFIX)) {
        throw new SecretBoxError('format', 'secret-box: not a v1 box');
      }
      const body = box.slice(VERSION_PREFIX.length);
      if (!BASE64URL.test(body)) throw new SecretBoxError('format', 'secret-box: invalid base64url');
      const raw = Buffer.from(body, 'base64url');
      // Node's decoder is lenient (ignores stray bits); require the canonical encoding so one box has
      // exactly one spelling and a flipped character is never silently accepted.
      if (raw.length < IV_BYTES + TAG_BYTES || raw.toString('base64url') !== body) {
        throw new SecretBoxError('format', 'secret-box: malformed box');
      }
      const iv = raw.subarray(0, IV_BYTES);
      const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      try {
        const head = decipher.update(raw.subarray(IV_BYTES + TAG_BYTES));
        return Buffer.concat([head, decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new SecretBoxError('auth', 'secret-box: authentication failed (tampered box or wrong key)', {
          cause,
        });
      }
    },
  };
}
