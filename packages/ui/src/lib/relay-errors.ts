/**
 * The relay's error codes and HTTP statuses, copied from `packages/relay/src/errors.ts` (the site never
 * imports relay code). What each means for the caller lives in the message files as
 * `docs.error.<code>`; the portal browser test checks this list against the relay's table.
 */
export const RELAY_ERRORS = [
  { code: 'invalid_api_key', status: 401 },
  { code: 'key_disabled', status: 403 },
  { code: 'key_expired', status: 403 },
  { code: 'user_disabled', status: 403 },
  { code: 'model_not_allowed', status: 403 },
  { code: 'group_not_allowed', status: 403 },
  { code: 'ip_not_allowed', status: 403 },
  { code: 'insufficient_quota', status: 429 },
  { code: 'insufficient_balance', status: 402 },
  { code: 'model_not_found', status: 404 },
  { code: 'model_price_not_set', status: 403 },
  { code: 'invalid_request', status: 400 },
  { code: 'invalid_json', status: 400 },
  { code: 'unsupported_media_type', status: 415 },
  { code: 'payload_too_large', status: 413 },
  { code: 'content_blocked', status: 400 },
  { code: 'rate_limited', status: 429 },
  { code: 'no_available_channel', status: 503 },
  { code: 'upstream_error', status: 502 },
  { code: 'upstream_timeout', status: 504 },
  { code: 'upstream_bad_request', status: 400 },
  { code: 'not_found', status: 404 },
  { code: 'billing_unavailable', status: 503 },
  { code: 'not_ready', status: 503 },
  { code: 'internal_error', status: 500 },
] as const;

export type RelayErrorCodeName = (typeof RELAY_ERRORS)[number]['code'];
