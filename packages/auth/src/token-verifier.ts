import { type Actor, accessTokenClaims, actorFromClaims } from '@conduit/contracts';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { z } from 'zod';

export const ACCESS_TOKEN_ISSUER = 'conduit-identity';
export const ACCESS_TOKEN_AUDIENCE = 'conduit';
const CLOCK_TOLERANCE_S = 5;

/**
 * A token whose signature was checked is not checked again for this long (nor past its expiry):
 * a client sends the same access token with every request for its whole life, and the signature
 * check is most of what verifying costs. It bounds how long a token signed by a key withdrawn
 * from identity's key set is still taken.
 */
export const VERIFIED_TOKEN_CACHE_MS = 60_000;
/** Tokens remembered at most: beyond it the oldest are dropped (and verified again when seen). */
const MAX_REMEMBERED = 10_000;

export interface VerifiedToken {
  actor: Actor;
  claims: z.output<typeof accessTokenClaims>;
}

export interface TokenVerifier {
  /** Resolves with the actor, or null for a missing, malformed, forged or expired token. */
  verify(token: string): Promise<VerifiedToken | null>;
  /** Fetches identity's signing keys now, where they are remote; rejects when they cannot be fetched. */
  fetchKeys?(): Promise<void>;
}

/**
 * Verifies Conduit access tokens: EdDSA only (no algorithm confusion), our issuer and audience,
 * a small clock tolerance. Keys come from identity's JWKS, cached and refetched when an unknown
 * key id appears (key rotation); tests and identity itself may pass a local key set instead.
 * A token verified before is taken from memory until its expiry (at most VERIFIED_TOKEN_CACHE_MS).
 */
export function createTokenVerifier(source: { jwksUrl: string } | { keys: JWTVerifyGetKey }): TokenVerifier {
  const remote =
    'jwksUrl' in source
      ? createRemoteJWKSet(new URL(source.jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 })
      : undefined;
  const keys = 'keys' in source ? source.keys : remote!;
  const verified = new Map<string, { token: VerifiedToken; until: number }>();
  const remember = (token: string, result: VerifiedToken, expiresAtS: number | undefined) => {
    if (verified.size >= MAX_REMEMBERED) {
      // Maps iterate in insertion order: the first keys are the oldest entries.
      for (const key of [...verified.keys()].slice(0, MAX_REMEMBERED / 10)) verified.delete(key);
    }
    const expiry =
      expiresAtS === undefined ? Number.POSITIVE_INFINITY : (expiresAtS + CLOCK_TOLERANCE_S) * 1000;
    verified.set(token, { token: result, until: Math.min(Date.now() + VERIFIED_TOKEN_CACHE_MS, expiry) });
  };
  return {
    ...(remote ? { fetchKeys: () => remote.reload() } : {}),
    async verify(token) {
      if (token.length > 4096) return null;
      const known = verified.get(token);
      if (known) {
        if (known.until > Date.now()) return known.token;
        verified.delete(token);
      }
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: ['EdDSA'],
          issuer: ACCESS_TOKEN_ISSUER,
          audience: ACCESS_TOKEN_AUDIENCE,
          clockTolerance: CLOCK_TOLERANCE_S,
        });
        const claims = accessTokenClaims.safeParse(payload);
        if (!claims.success) return null;
        const result = { claims: claims.data, actor: actorFromClaims(claims.data) };
        remember(token, result, payload.exp);
        return result;
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
