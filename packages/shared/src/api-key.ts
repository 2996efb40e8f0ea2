/**
 * Secondary API keys issued by Tollgate.
 *
 * Format v1 (48 characters, all ASCII `[0-9A-Za-z]` after the prefix):
 *
 * ```
 * sk-  1  <random: base62(16 random bytes), 22 chars>  <sig: base62(HMAC-SHA256(secret, msg)[0..16]), 22 chars>
 *      ^ version char
 * msg = "tollgate-key:v1:" + versionChar + random   (the base62 text, exactly as it appears in the key)
 * ```
 *
 * Why this shape:
 * - The signature lets the relay reject forged or mistyped keys with one HMAC — microseconds, no
 *   database, cache or Redis round trip — so junk traffic cannot amplify into state look-ups.
 * - 128 random bits make keys unguessable on their own; the signature (keyed by `user_token_secret`)
 *   is an extra gate, not the only one.
 * - Nothing in a key is an id: the random part is pure entropy, and rows are found by
 *   {@link hashApiKey} (SHA-256 of the whole key), so a database leak does not leak usable keys.
 * - The version char allows a future format without ambiguity.
 */

import type { KeyObject } from 'node:crypto';
import { createHmac, createSecretKey, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { base62Length, decodeBase62Into, encodeBase62, isBase62 } from './base62.ts';

/** Every secondary key starts with this. */
export const API_KEY_PREFIX = 'sk-';
/** Version char of the current (only) format. */
export const API_KEY_VERSION = '1';
/** Bytes of randomness in a key (128 bits). */
const RANDOM_BYTES = 16;
/** Bytes of the truncated HMAC-SHA256 tag kept in a key (128 bits). */
const SIG_BYTES = 16;
const RANDOM_CHARS = base62Length(RANDOM_BYTES); // 22
const SIG_CHARS = base62Length(SIG_BYTES); // 22
const VERSION_AT = API_KEY_PREFIX.length; // 3
const RANDOM_AT = VERSION_AT + 1; // 4
const SIG_AT = RANDOM_AT + RANDOM_CHARS; // 26
/** Exact length of a v1 key: 3 + 1 + 22 + 22 = 48. */
export const API_KEY_LENGTH = SIG_AT + SIG_CHARS;
/** Domain separation of the HMAC, so the secret's MACs here cannot be replayed in another context. */
const SIG_DOMAIN = 'tollgate-key:v1:';

/** Result of {@link verifyApiKey}: why a key was rejected, for logs and metrics (never shown verbatim). */
export type ApiKeyCheck = { ok: true } | { ok: false; reason: 'format' | 'version' | 'signature' };

const FORMAT: ApiKeyCheck = Object.freeze({ ok: false, reason: 'format' });
const VERSION: ApiKeyCheck = Object.freeze({ ok: false, reason: 'version' });
const SIGNATURE: ApiKeyCheck = Object.freeze({ ok: false, reason: 'signature' });
const OK: ApiKeyCheck = Object.freeze({ ok: true });

/** HMAC key objects per secret: a process normally has one secret, two during a rotation. */
const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_MAX = 8;

function hmacKey(secret: string): KeyObject {
  let key = keyCache.get(secret);
  if (key === undefined) {
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new TypeError('api-key: user_token_secret must be a non-empty string');
    }
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(secret, key);
  }
  return key;
}

/** HMAC-SHA256 over the signed head of a key (`versionChar + random`, i.e. key[3..26)). */
function sign(secret: string, head: string): Buffer {
  return createHmac('sha256', hmacKey(secret)).update(SIG_DOMAIN).update(head).digest();
}

/**
 * Issues a new secondary key: `sk-1` + 22 random base62 chars + 22 signature chars (48 total).
 * Store only {@link hashApiKey} for look-up (and, if users may reveal it, the key sealed with a
 * secret box); never log it unmasked.
 */
export function generateApiKey(secret: string): string {
  const head = API_KEY_VERSION + encodeBase62(randomBytes(RANDOM_BYTES));
  const tag = sign(secret, head).subarray(0, SIG_BYTES);
  return API_KEY_PREFIX + head + encodeBase62(tag);
}

/** Scratch buffer for the presented signature; verification is synchronous, so one buffer suffices. */
const presentedSig = Buffer.alloc(SIG_BYTES);

/**
 * Checks a presented key without touching any state: prefix, exact length, charset, version, then the
 * HMAC, compared in constant time. Cheap checks come first so garbage is dropped before any crypto.
 * A `true` result only says Tollgate minted the key with this secret — the caller still looks the key
 * up by {@link hashApiKey} to learn whether it exists, is enabled, etc.
 *
 * Throws only on a programming error (empty secret), never because of the presented key.
 */
export function verifyApiKey(key: string, secret: string): ApiKeyCheck {
  if (typeof key !== 'string' || !key.startsWith(API_KEY_PREFIX)) return FORMAT;
  if (key.length !== API_KEY_LENGTH) return FORMAT;
  if (!isBase62(key, VERSION_AT, API_KEY_LENGTH)) return FORMAT;
  if (key[VERSION_AT] !== API_KEY_VERSION) return VERSION;
  // Decoding the presented signature only processes attacker-supplied data; a value that does not fit
  // in 16 bytes was never produced by the encoder, so it cannot be a genuine signature.
  if (!decodeBase62Into(key, presentedSig, SIG_AT, API_KEY_LENGTH)) return SIGNATURE;
  const expected = sign(secret, key.slice(VERSION_AT, SIG_AT)).subarray(0, SIG_BYTES);
  return timingSafeEqual(presentedSig, expected) ? OK : SIGNATURE;
}

/**
 * Hex SHA-256 of the full key: the database look-up column. Keys carry 128 random bits, so a fast,
 * unsalted hash is enough (no password-style stretching needed) and keeps look-ups deterministic.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/**
 * Display form of a key for lists, logs and audit entries: first 6 chars + `…` + last 4
 * (e.g. `sk-1Ab…wxyz`). Strings too short to mask safely (< 16 chars) collapse to `…` plus at most the
 * `sk-` prefix, so a malformed value pasted into the wrong field is never echoed back.
 */
export function maskApiKey(key: string): string {
  if (key.length < 16) return key.startsWith(API_KEY_PREFIX) ? `${API_KEY_PREFIX}…` : '…';
  return `${key.slice(0, 6)}…${key.slice(-4)}`;
}

/** A leading `Bearer` auth scheme (case-insensitive) and the whitespace after it. */
const BEARER = /^bearer(?:\s+|$)/i;

function credential(value: string | null | undefined): string | undefined {
  if (value == null) return undefined;
  let v = value.trim();
  if (BEARER.test(v)) v = v.replace(BEARER, '').trim();
  return v === '' ? undefined : v;
}

/**
 * Finds the presented key in request headers, accepting what OpenAI-, Anthropic- and Azure-style
 * clients send: `Authorization: Bearer <key>` (scheme case-insensitive), else `x-api-key`, else
 * `api-key`. Values are trimmed and a leading `Bearer ` is stripped (nothing else: another scheme is
 * kept verbatim and will fail {@link verifyApiKey}). An empty header falls through to the next one.
 * Works with a Fetch `Headers` or any object with a case-insensitive `get`.
 */
export function extractApiKey(headers: { get(name: string): string | null | undefined }): string | undefined {
  return (
    credential(headers.get('authorization')) ??
    credential(headers.get('x-api-key')) ??
    credential(headers.get('api-key'))
  );
}
