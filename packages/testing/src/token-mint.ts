import { randomUUID } from 'node:crypto';
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  createTokenVerifier,
  type TokenVerifier,
} from '@conduit/auth';
import type { Permission, TeamRole } from '@conduit/contracts';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface TokenClaims {
  userId?: string;
  orgId?: string | null;
  teams?: Record<string, TeamRole>;
  perms?: Permission[];
  platformAdmin?: boolean;
}

export interface TokenMint {
  /** Verifies the tokens of this mint: give it to the service under test. */
  verifier: TokenVerifier;
  /** A token and the user id it names (a fresh one unless given), with its Authorization header. */
  mint(claims?: TokenClaims): Promise<{ token: string; userId: string; headers: { authorization: string } }>;
}

/**
 * Signs access tokens the way identity does (EdDSA, our issuer and audience) with any claims, for
 * testing a service's authorization without running identity.
 */
export async function createTokenMint(defaultPermissions: Permission[]): Promise<TokenMint> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `test-${randomUUID().slice(0, 8)}`;
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA' }] });
  return {
    verifier: createTokenVerifier({ keys: jwks }),
    async mint(claims = {}) {
      const userId = claims.userId ?? randomUUID();
      const token = await new SignJWT({
        sid: randomUUID(),
        org: claims.orgId === undefined ? null : claims.orgId,
        teams: claims.teams ?? {},
        perms: claims.perms ?? defaultPermissions,
        adm: claims.platformAdmin ?? false,
      })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setSubject(userId)
        .setIssuer(ACCESS_TOKEN_ISSUER)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setExpirationTime('10m')
        .sign(pair.privateKey);
      return { token, userId, headers: { authorization: `Bearer ${token}` } };
    },
  };
}
