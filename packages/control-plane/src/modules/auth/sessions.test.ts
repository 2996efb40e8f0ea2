import { describe, expect, it } from 'vitest';
import { readCookie, SESSION_COOKIE, sessionCookie } from './sessions.ts';

describe('readCookie', () => {
  it('finds one cookie among several, trimmed and URI-decoded', () => {
    expect(readCookie('a=1; tg_session=abc%2Fdef ;b=2', SESSION_COOKIE)).toBe('abc/def');
    expect(readCookie('tg_session_x=1; xtg_session=2', SESSION_COOKIE)).toBeUndefined();
    expect(readCookie(null, SESSION_COOKIE)).toBeUndefined();
    expect(readCookie('', SESSION_COOKIE)).toBeUndefined();
    expect(readCookie('=x; tg_session', SESSION_COOKIE)).toBeUndefined();
  });

  it('treats a malformed %-escape as no session', () => {
    expect(readCookie('tg_session=%E0%A4%A', SESSION_COOKIE)).toBeUndefined();
  });
});

describe('sessionCookie', () => {
  it('is HttpOnly, SameSite=Lax, path-wide, with Max-Age in seconds; Secure only over TLS', () => {
    expect(sessionCookie('tok', 90_500, false)).toBe(
      `${SESSION_COOKIE}=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=90`,
    );
    expect(sessionCookie('tok', 1_000, true)).toMatch(/; Secure$/);
    expect(sessionCookie('', 0, false)).toContain('Max-Age=0');
  });
});
