import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Every error the relay can put on the wire; each maps to one HTTP status and OpenAI error type. */
export const relayErrorTable = {
  invalid_api_key: [
    401,
    'authentication_error',
    'Invalid API key. Check the key you copied from the portal.',
  ],
  key_disabled: [403, 'permission_error', 'This API key is disabled.'],
  key_expired: [403, 'permission_error', 'This API key has expired.'],
  user_disabled: [403, 'permission_error', 'The account that owns this API key is disabled.'],
  model_not_allowed: [403, 'permission_error', 'This API key may not use the requested model.'],
  group_not_allowed: [403, 'permission_error', 'This API key is bound to a group your account may not use.'],
  ip_not_allowed: [
    403,
    'permission_error',
    'Requests from this IP address are not allowed for this API key.',
  ],
  insufficient_quota: [429, 'insufficient_quota', 'This API key has no remaining quota.'],
  insufficient_balance: [
    402,
    'insufficient_quota',
    'Your balance is too low for this request. Please top up.',
  ],
  model_not_found: [
    404,
    'invalid_request_error',
    'The requested model does not exist or is not available to you.',
  ],
  model_price_not_set: [403, 'invalid_request_error', 'The requested model has no price set.'],
  invalid_request: [400, 'invalid_request_error', 'The request is invalid.'],
  invalid_json: [400, 'invalid_request_error', 'The request body is not valid JSON.'],
  unsupported_media_type: [415, 'invalid_request_error', 'Content-Type must be application/json.'],
  payload_too_large: [413, 'invalid_request_error', 'The request body is too large.'],
  content_blocked: [
    400,
    'invalid_request_error',
    'The request was refused because the prompt contains content this service does not allow.',
  ],
  rate_limited: [
    429,
    'rate_limit_error',
    'Rate limit reached. Retry after the time in the Retry-After header.',
  ],
  no_available_channel: [
    503,
    'server_error',
    'No upstream is available for this model right now. Try again later.',
  ],
  upstream_error: [502, 'server_error', 'The upstream service failed to answer. Try again later.'],
  upstream_timeout: [504, 'server_error', 'The upstream service timed out.'],
  upstream_bad_request: [400, 'invalid_request_error', 'The upstream rejected the request.'],
  not_found: [404, 'invalid_request_error', 'Unknown endpoint.'],
  billing_unavailable: [503, 'server_error', 'Billing is temporarily unavailable; try again in a moment.'],
  not_ready: [503, 'server_error', 'The relay is starting; try again in a moment.'],
  internal_error: [500, 'server_error', 'Internal error. The request id identifies it in the logs.'],
} as const satisfies Record<string, readonly [ContentfulStatusCode, string, string]>;

export type RelayErrorCode = keyof typeof relayErrorTable;

/** An expected failure with a closed code; `onError` renders it as the OpenAI error envelope. */
export class RelayError extends Error {
  override name = 'RelayError';
  readonly code: RelayErrorCode;
  readonly param: string | null;
  readonly status: ContentfulStatusCode;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: RelayErrorCode,
    opts: {
      message?: string;
      param?: string;
      status?: ContentfulStatusCode;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(opts.message ?? relayErrorTable[code][2], { cause: opts.cause });
    this.code = code;
    this.param = opts.param ?? null;
    this.status = opts.status ?? relayErrorTable[code][0];
    this.headers = opts.headers;
  }
}

/** The OpenAI error envelope `{ error: { message, type, param, code } }`. */
export function errorBody(err: RelayError): string {
  return JSON.stringify({
    error: { message: err.message, type: relayErrorTable[err.code][1], param: err.param, code: err.code },
  });
}
