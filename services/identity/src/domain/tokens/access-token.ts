import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '@conduit/auth';
import type { AccessTokenClaims } from '@conduit/contracts';
import { SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.js';

/** Signs a short-lived EdDSA access token; claims are kept small because every request carries them. */
export function signAccessToken(
  keys: SigningKeys,
  claims: AccessTokenClaims,
  ttlMs: number,
): Promise<string> {
  const { sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ: 'at+jwt' })
    .setSubject(sub)
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor((Date.now() + ttlMs) / 1000))
    .sign(keys.privateKey);
}
