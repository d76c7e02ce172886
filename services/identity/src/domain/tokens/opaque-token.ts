import { createHash, randomBytes } from 'node:crypto';

/**
 * Refresh, login and reset tokens: 256 bits from the CSPRNG, shown to the user once. Only their
 * SHA-256 is stored; a slow hash is not needed for values with this much entropy.
 */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}

export const hashOpaqueToken = (token: string) => createHash('sha256').update(token).digest('hex');
