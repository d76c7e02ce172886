import { bearerToken, type TokenVerifier, type VerifiedToken } from '@conduit/auth';
import { DomainError } from '@conduit/errors';
import type { FastifyRequest } from 'fastify';

/**
 * The request's access token, checked: its verified claims and the token itself. Throws
 * unauthorized for a missing, forged or expired one, bad_gateway when identity's keys cannot be
 * fetched (not the caller's fault, so not a 401).
 */
export async function requireAccessToken(
  verifier: TokenVerifier,
  request: FastifyRequest,
): Promise<{ token: string; verified: VerifiedToken }> {
  const token = bearerToken(request);
  if (!token)
    throw new DomainError('unauthorized', 'Send an access token as "Authorization: Bearer <token>".');
  const verified = await verifier.verify(token).catch(() => {
    throw new DomainError('bad_gateway', 'Access tokens cannot be checked right now; try again shortly.');
  });
  if (!verified)
    throw new DomainError(
      'unauthorized',
      'The access token is invalid or has expired; refresh it and retry.',
    );
  return { token, verified };
}
