/** Expected failures of control-plane services: a closed set of codes the router maps to tRPC codes. */
export type ServiceErrorCode =
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE';

export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly code: ServiceErrorCode;
  constructor(code: ServiceErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * What a caller is told when the SQL database cannot be reached (never the driver's text, which names
 * hosts and ports). The site's pages and the tRPC error's `data.reason` key off it.
 */
export const DB_UNAVAILABLE_MESSAGE = 'database unavailable';
/** The `data.reason` of a tRPC error raised because the database cannot be reached. */
export const DB_UNAVAILABLE_REASON = 'database_unavailable';
