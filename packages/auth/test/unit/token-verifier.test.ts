import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, createTokenVerifier } from '../../src/index.js';

const sub = '0190c2d4-8e43-7b1a-9a4f-1f2e3d4c5b6a';
const sid = '0190c2d4-8e43-7b1a-9a4f-1f2e3d4c5b6b';

async function keys() {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' };
  return { pair, jwks: createLocalJWKSet({ keys: [jwk] }) };
}

const sign = (
  key: Parameters<SignJWT['sign']>[0],
  claims: Record<string, unknown>,
  options: { exp?: string; iss?: string; aud?: string; alg?: string } = {},
) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'EdDSA', kid: 'k1' })
    .setIssuer(options.iss ?? ACCESS_TOKEN_ISSUER)
    .setAudience(options.aud ?? ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '15m')
    .sign(key);

describe('access token verifier', () => {
  it('accepts a valid token and exposes the actor', async () => {
    const { pair, jwks } = await keys();
    const verifier = createTokenVerifier({ keys: jwks });
    const verified = await verifier.verify(await sign(pair.privateKey, { sub, sid, org: null }));
    expect(verified?.actor).toEqual({
      userId: sub,
      sessionId: sid,
      orgId: null,
      teams: {},
      permissions: [],
      platformAdmin: false,
    });
  });

  it('rejects expired, foreign, forged and garbage tokens', async () => {
    const { pair, jwks } = await keys();
    const other = await keys();
    const verifier = createTokenVerifier({ keys: jwks });
    const claims = { sub, sid, org: null };
    expect(await verifier.verify(await sign(pair.privateKey, claims, { exp: '-1m' }))).toBeNull();
    expect(await verifier.verify(await sign(pair.privateKey, claims, { iss: 'someone-else' }))).toBeNull();
    expect(await verifier.verify(await sign(pair.privateKey, claims, { aud: 'other' }))).toBeNull();
    expect(await verifier.verify(await sign(other.pair.privateKey, claims))).toBeNull();
    expect(
      await verifier.verify(await sign(pair.privateKey, { sub: 'not-a-uuid', sid, org: null })),
    ).toBeNull();
    for (const garbage of ['', 'abc', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'x'.repeat(10_000)]) {
      expect(await verifier.verify(garbage)).toBeNull();
    }
  });
});
