import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceApp } from '@conduit/service-kit';
import Fastify from 'fastify';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  createTokenVerifier,
  fetchKeysOnReady,
} from '../../src/index.js';
import { VERIFIED_TOKEN_CACHE_MS } from '../../src/token-verifier.js';

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

describe('access token verifier, tokens seen before', () => {
  afterEach(() => vi.useRealTimers());

  it('checks a token once, then takes it from memory until its expiry or the cache lifetime', async () => {
    const { pair, jwks } = await keys();
    let keyLookups = 0;
    const verifier = createTokenVerifier({
      keys: (header, token) => {
        keyLookups++;
        return jwks(header, token);
      },
    });
    vi.useFakeTimers({ toFake: ['Date'] });
    const token = await sign(pair.privateKey, { sub, sid, org: null }, { exp: '15m' });
    const first = await verifier.verify(token);
    expect(first?.actor.userId).toBe(sub);
    expect((await verifier.verify(token))?.actor).toEqual(first?.actor);
    expect(keyLookups).toBe(1);

    // Past the cache lifetime the signature is checked again.
    vi.setSystemTime(Date.now() + VERIFIED_TOKEN_CACHE_MS + 1_000);
    expect((await verifier.verify(token))?.actor.userId).toBe(sub);
    expect(keyLookups).toBe(2);

    // Past its expiry (and the clock tolerance) a remembered token is refused like any other.
    vi.setSystemTime(Date.now() + 16 * 60_000);
    expect(await verifier.verify(token)).toBeNull();
  });

  it('remembers no refusal: a forged token is checked (and refused) every time', async () => {
    const { jwks } = await keys();
    const other = await keys();
    let keyLookups = 0;
    const verifier = createTokenVerifier({
      keys: (header, token) => {
        keyLookups++;
        return jwks(header, token);
      },
    });
    const forged = await sign(other.pair.privateKey, { sub, sid, org: null });
    expect(await verifier.verify(forged)).toBeNull();
    expect(await verifier.verify(forged)).toBeNull();
    expect(keyLookups).toBe(2);
  });
});

describe("access token verifier, identity's key set", () => {
  /** A real HTTP server answering with one key set, counting how often it is asked. */
  async function keySetServer() {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' }] };
    let requests = 0;
    const server = createServer((_request, response) => {
      requests++;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      pair,
      url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      requests: () => requests,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('fetches the keys when asked, before any token comes, and verifies with them afterwards', async () => {
    const keySet = await keySetServer();
    const verifier = createTokenVerifier({ jwksUrl: keySet.url });
    await verifier.fetchKeys?.();
    expect(keySet.requests()).toBe(1);
    // Identity's key set cannot be asked any more: the keys fetched ahead are the ones used.
    await keySet.close();
    const verified = await verifier.verify(await sign(keySet.pair.privateKey, { sub, sid, org: null }));
    expect(verified?.actor.userId).toBe(sub);
  });

  it('is fetched as a service becomes ready, without holding its start for an identity that does not answer', async () => {
    const keySet = await keySetServer();
    const app = Fastify();
    fetchKeysOnReady(app as unknown as ServiceApp, createTokenVerifier({ jwksUrl: keySet.url }));
    await app.ready();
    await vi.waitFor(() => expect(keySet.requests()).toBe(1));
    await app.close();
    await keySet.close();

    // Nothing listens there now: the service starts all the same.
    const alone = Fastify();
    fetchKeysOnReady(alone as unknown as ServiceApp, createTokenVerifier({ jwksUrl: keySet.url }));
    await expect(alone.ready()).resolves.toBeDefined();
    await alone.close();
  });
});
