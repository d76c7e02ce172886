/** The closed set of error codes a Conduit service may answer, and the HTTP status of each. */
export const errorCodes = {
  bad_request: 400,
  validation_failed: 400,
  malformed_body: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  limit_reached: 402,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
  gateway_timeout: 504,
} as const;
export type ErrorCode = keyof typeof errorCodes;

export const statusOf = (code: ErrorCode) => errorCodes[code];

/**
 * An expected failure of a verb, with a code the transports map to a status. `detail` is shown to
 * the client, so it must never carry internals; `retryAfterSeconds` becomes a Retry-After header.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { retryAfterSeconds?: number; fields?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}
