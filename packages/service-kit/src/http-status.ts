import type { ErrorCode } from '@conduit/errors';

/** The HTTP status of each error code: exhaustive, so a new code does not compile until it has one. */
export const httpStatuses: Record<ErrorCode, number> = {
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
};

export const statusOf = (code: ErrorCode) => httpStatuses[code];
