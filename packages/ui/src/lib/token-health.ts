import type { TokenRow } from '~/lib/types.ts';

export const DAY_MS = 86_400_000;
/** Keys expiring within this many days are flagged (SPEC §3 portal warnings). */
export const EXPIRY_WARN_DAYS = 7;
/** Keys with less than this share of their quota left are flagged. */
export const LOW_QUOTA_SHARE = 0.1;

/** Why a key needs attention; `null` when it is fine. */
export type TokenWarning =
  | { kind: 'expired' }
  | { kind: 'expiring'; days: number }
  | { kind: 'exhausted' }
  | { kind: 'lowQuota'; percent: number };

type HealthFields = Pick<TokenRow, 'expiresAt' | 'unlimitedQuota' | 'remainQuota' | 'usedQuota'>;

/** The key's share of quota left (0–1), `null` for unlimited keys or keys never given any. */
export function quotaLeftShare(row: HealthFields): number | null {
  if (row.unlimitedQuota) return null;
  const total = row.remainQuota + row.usedQuota;
  if (total <= 0) return null;
  return Math.max(0, row.remainQuota) / total;
}

/** Every warning of a key, most severe first. */
export function tokenWarnings(row: HealthFields, now: number): TokenWarning[] {
  const out: TokenWarning[] = [];
  if (row.expiresAt !== null) {
    if (row.expiresAt <= now) out.push({ kind: 'expired' });
    else if (row.expiresAt - now <= EXPIRY_WARN_DAYS * DAY_MS)
      out.push({ kind: 'expiring', days: Math.max(1, Math.ceil((row.expiresAt - now) / DAY_MS)) });
  }
  if (!row.unlimitedQuota) {
    if (row.remainQuota <= 0) out.push({ kind: 'exhausted' });
    else {
      const share = quotaLeftShare(row);
      if (share !== null && share < LOW_QUOTA_SHARE)
        out.push({ kind: 'lowQuota', percent: Math.max(1, Math.floor(share * 100)) });
    }
  }
  return out;
}
