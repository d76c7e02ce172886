import { type Actor, accessTokenClaims, actorFromClaims } from '@conduit/contracts';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { z } from 'zod';

export const ACCESS_TOKEN_ISSUER = 'conduit-identity';
export const ACCESS_TOKEN_AUDIENCE = 'conduit';

export interface VerifiedToken {
  actor: Actor;
  claims: z.output<typeof accessTokenClaims>;
}

export interface TokenVerifier {
  /** Resolves with the actor, or null for a missing, malformed, forged or expired token. */
  verify(token: string): Promise<VerifiedToken | null>;
}

/**
 * Verifies Conduit access tokens: EdDSA only (no algorithm confusion), our issuer and audience,
 * a small clock tolerance. Keys come from identity's JWKS, cached and refetched when an unknown
 * key id appears (key rotation); tests and identity itself may pass a local key set instead.
 */
export function createTokenVerifier(source: { jwksUrl: string } | { keys: JWTVerifyGetKey }): TokenVerifier {
  const keys =
    'keys' in source
      ? source.keys
      : createRemoteJWKSet(new URL(source.jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 });
  return {
    async verify(token) {
      if (token.length > 4096) return null;
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: ['EdDSA'],
          issuer: ACCESS_TOKEN_ISSUER,
          audience: ACCESS_TOKEN_AUDIENCE,
          clockTolerance: 5,
        });
        const claims = accessTokenClaims.safeParse(payload);
        if (!claims.success) return null;
        return { claims: claims.data, actor: actorFromClaims(claims.data) };
      } catch (error) {
        // The key set could not be fetched: not the caller's fault, so not a 401.
        if (
          error instanceof errors.JWKSTimeout ||
          (error instanceof TypeError && error.message === 'fetch failed')
        )
          throw error;
        if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
        throw error;
      }
    },
  };
}
