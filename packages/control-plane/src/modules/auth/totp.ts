import type { Config } from '@tollgate/shared/config.ts';
import { createSecretBox, type SecretBox } from '@tollgate/shared/secret-box.ts';
import { Secret, TOTP } from 'otpauth';

/**
 * Time-based one-time passwords as authenticator apps read them: SHA-1, 6 digits, 30-second steps.
 * The arithmetic is the `otpauth` library's; this file only fixes the parameters.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6238 — TOTP
 * @see https://github.com/google/google-authenticator/wiki/Key-Uri-Format — the otpauth:// URI
 */
export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of now, for clock drift (RFC 6238 §5.2 recommends at most one). */
export const TOTP_WINDOW = 1;

const totpFor = (secret: string, label = '', issuer = '') =>
  new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_S,
    secret: Secret.fromBase32(secret),
  });

/** A new random secret (160 bits, the RFC 4226 recommendation), base32 as apps expect it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://totp/…` URI an authenticator app scans. */
export function totpUri(secret: string, account: string, issuer: string): string {
  return totpFor(secret, account, issuer).toString();
}

/** The 30-second step a time falls in (RFC 6238's T). */
export function totpStep(nowMs: number): number {
  return TOTP.counter({ period: TOTP_PERIOD_S, timestamp: nowMs });
}

/**
 * The step whose code `code` is, within {@link TOTP_WINDOW} steps of `nowMs`, or null when it is not a
 * valid code. Callers remember the step so the same code is never accepted twice.
 */
export function matchTotp(secret: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpFor(secret).validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW });
  return delta === null ? null : totpStep(nowMs) + delta;
}

/** The code of `secret` at `nowMs` (what the user's app shows; used by tests and fixtures). */
export function totpCode(secret: string, nowMs = Date.now()): string {
  return totpFor(secret).generate({ timestamp: nowMs });
}

const boxes = new WeakMap<Config, SecretBox>();

/** The secret box TOTP secrets are sealed with (purpose `totp`), one per configuration. */
export function totpBox(cfg: Config): SecretBox {
  let box = boxes.get(cfg);
  if (!box) {
    box = createSecretBox(cfg.user_token_secret, 'totp');
    boxes.set(cfg, box);
  }
  return box;
}
