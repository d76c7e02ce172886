import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '@conduit/auth';
import { uuidv7 } from '@conduit/db';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/domain/tokens/access-token.js';
import {
  type AuthResult,
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';

let h: IdentityHarness;
let account: AuthResult;
let sessionId: string;

beforeAll(async () => {
  h = await startIdentityHarness();
  account = await registerUser(h);
  const [session] = await h.admin<
    { id: string }[]
  >`select id from identity.user_sessions where user_id = ${account.user.id}`;
  sessionId = session!.id;
}, 60_000);
afterAll(() => h?.close(), 30_000);

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const protectedRoutes: { method: Method; url: string; payload?: Record<string, unknown> }[] = [
  { method: 'GET', url: '/v1/me' },
  { method: 'PATCH', url: '/v1/me', payload: { name: 'Forged' } },
  { method: 'GET', url: '/v1/me/preferences' },
  { method: 'PUT', url: '/v1/me/preferences', payload: { preferences: { forged: true } } },
  { method: 'GET', url: '/v1/auth/sessions' },
  { method: 'DELETE', url: `/v1/auth/sessions/${uuidv7()}` },
  { method: 'POST', url: '/v1/auth/logout' },
];

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Tokens that must all be refused, each built the way an attacker (or a stale client) would. */
async function refusedTokens(): Promise<[string, Record<string, string>][]> {
  const claims = { sid: sessionId, org: account.user.organizationId };
  const foreign = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const sign = (
    key: Parameters<SignJWT['sign']>[0],
    header: Record<string, unknown>,
    options: { issuer?: string; audience?: string; expiresIn?: number } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...header })
      .setSubject(account.user.id)
      .setIssuer(options.issuer ?? ACCESS_TOKEN_ISSUER)
      .setAudience(options.audience ?? ACCESS_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 600))
      .sign(key);
  const publicKey = Buffer.from(h.deps.keys.jwks.keys[0]!.x!, 'base64url');
  return [
    ['no Authorization header', {}],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['another scheme', { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }],
    ['garbage', { authorization: 'Bearer garbage' }],
    ['three garbage segments', { authorization: 'Bearer aaa.bbb.ccc' }],
    ['an oversized token', { authorization: `Bearer ${'a'.repeat(5000)}` }],
    ['a refresh token', bearer(account.refreshToken)],
    ['a token signed by a foreign key', bearer(await sign(foreign.privateKey, { kid: 'foreign-key' }))],
    [
      'a token signed by a foreign key under our kid',
      bearer(await sign(foreign.privateKey, { kid: h.deps.keys.kid })),
    ],
    [
      'an unsigned token (alg none)',
      bearer(
        `${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url({ sub: account.user.id, ...claims, iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.`,
      ),
    ],
    [
      'an HS256 token keyed with our public key',
      bearer(await sign(new Uint8Array(publicKey), { alg: 'HS256', kid: h.deps.keys.kid })),
    ],
    [
      'a token with another issuer',
      bearer(await sign(h.deps.keys.privateKey, { kid: h.deps.keys.kid }, { issuer: 'someone-else' })),
    ],
    [
      'a token with another audience',
      bearer(await sign(h.deps.keys.privateKey, { kid: h.deps.keys.kid }, { audience: 'elsewhere' })),
    ],
    [
      'an expired token',
      bearer(await signAccessToken(h.deps.keys, { sub: account.user.id, ...claims }, -60_000)),
    ],
    [
      'a tampered token',
      bearer(`${account.accessToken.slice(0, -4)}${account.accessToken.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`),
    ],
  ];
}

describe('protected routes', () => {
  it('accept the real access token (the matrix below would otherwise prove nothing)', async () => {
    const legit: Record<string, Record<string, unknown>> = {
      PATCH: { name: 'Legit' },
      PUT: { preferences: { theme: 'dark' } },
    };
    for (const route of protectedRoutes.filter((r) => r.method !== 'POST' && r.method !== 'DELETE')) {
      const response = await h.app.inject({
        ...route,
        payload: legit[route.method],
        headers: bearer(account.accessToken),
      });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(200);
    }
  });

  it('answer 401 problem+json to every missing, malformed, forged or expired token', async () => {
    const tokens = await refusedTokens();
    const failures: string[] = [];
    for (const route of protectedRoutes) {
      for (const [label, headers] of tokens) {
        const response = await h.app.inject({ ...route, headers });
        const ok =
          response.statusCode === 401 &&
          response.headers['content-type']?.toString().startsWith('application/problem+json') &&
          response.json().code === 'unauthorized';
        if (!ok)
          failures.push(
            `${route.method} ${route.url} with ${label}: ${response.statusCode} ${response.body}`,
          );
      }
    }
    expect(failures).toEqual([]);
    // Nothing above changed the account.
    const me = await h.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(account.accessToken) });
    expect(me.json().name).not.toBe('Forged');
    const preferences = await h.app.inject({
      method: 'GET',
      url: '/v1/me/preferences',
      headers: bearer(account.accessToken),
    });
    expect(preferences.json().preferences).not.toHaveProperty('forged');
  });

  it('refuse a correctly signed token whose session belongs to another user', async () => {
    const other = await registerUser(h);
    const [otherSession] = await h.admin<
      { id: string }[]
    >`select id from identity.user_sessions where user_id = ${other.user.id}`;
    const mixed = await signAccessToken(
      h.deps.keys,
      { sub: account.user.id, sid: otherSession!.id, org: account.user.organizationId },
      60_000,
    );
    for (const route of protectedRoutes) {
      expect(
        (await h.app.inject({ ...route, headers: bearer(mixed) })).statusCode,
        `${route.method} ${route.url}`,
      ).toBe(401);
    }
  });

  it('refuse a token whose session has expired, though the token itself has not', async () => {
    const fresh = await registerUser(h);
    await h.admin`update identity.user_sessions set expires_at = now() - interval '1 second' where user_id = ${fresh.user.id}`;
    for (const route of protectedRoutes) {
      expect(
        (await h.app.inject({ ...route, headers: bearer(fresh.accessToken) })).statusCode,
        `${route.method} ${route.url}`,
      ).toBe(401);
    }
  });

  it('never take the token from the query string', async () => {
    const response = await h.app.inject({ method: 'GET', url: `/v1/me?access_token=${account.accessToken}` });
    expect(response.statusCode).toBe(401);
  });

  it('leave public routes public', async () => {
    const jwks = await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.statusCode).toBe(200);
    expect(jwks.headers['cache-control']).toContain('max-age');
    expect(jwks.json().keys).toEqual([
      expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: h.deps.keys.kid, alg: 'EdDSA', use: 'sig' }),
    ]);
    // Public halves only.
    expect(jwks.json().keys[0]).not.toHaveProperty('d');
    expect((await h.app.inject({ method: 'GET', url: '/health/ready' })).json()).toMatchObject({
      status: 'ok',
      checks: { postgres: 'ok', redis: 'ok', nats: 'ok' },
    });
  });
});
