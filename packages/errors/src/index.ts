/**
 * The errors a verb may raise, apart from any transport: domain code, RPC handlers and jobs throw
 * these, and each transport (HTTP in @conduit/service-kit, RPC in @conduit/bus) maps every code to
 * its own status exhaustively, so adding a code fails to compile until each transport decides.
 */
export const errorCodes = [
  'bad_request',
  'validation_failed',
  'malformed_body',
  'unauthorized',
  'invalid_credentials',
  'limit_reached',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'gone',
  'payload_too_large',
  'unsupported_media_type',
  'unprocessable',
  'rate_limited',
  'internal',
  'bad_gateway',
  'unavailable',
  'gateway_timeout',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/**
 * An expected failure of a verb, with a code the transports map to a status. `detail` is shown to
 * the caller, so it must never carry internals; `retryAfterSeconds` becomes a Retry-After header.
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
