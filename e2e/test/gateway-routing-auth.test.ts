import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  type AuthResult,
  type IdentityHarness,
  STRONG_PASSWORD,
  startIdentityHarness,
  uniqueEmail,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let identity: IdentityHarness;
let gateway: GatewayHarness;

beforeAll(async () => {
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  gateway = await startGateway({
    IDENTITY_URL: identityUrl,
    AUTH_RATE_LIMIT_MAX: '1000',
    CORS_ORIGINS: 'http://localhost:3000',
  });
});
afterAll(async () => {
  await gateway?.close();
  await identity?.close();
});

const call = (path: string, init: RequestInit = {}) => fetch(`${gateway.url}${path}`, init);
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field below
const body = async (res: Response): Promise<any> => res.json();
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

describe('gateway in front of identity', () => {
  it('runs the whole auth flow through the gateway', async () => {
    const email = uniqueEmail('flow');
    const registered = await call('/v1/auth/register', json({ email, password: STRONG_PASSWORD }));
    expect(registered.status).toBe(201);
    const first = (await body(registered)) as AuthResult;

    const me = await call('/v1/me', { headers: { authorization: `Bearer ${first.accessToken}` } });
    expect(me.status).toBe(200);
    expect(((await body(me)) as { email: string }).email).toBe(email);

    const login = await call('/v1/auth/login', json({ email, password: STRONG_PASSWORD }));
    expect(login.status).toBe(200);
    const refreshed = await call(
      '/v1/auth/refresh',
      json({ refreshToken: ((await body(login)) as AuthResult).refreshToken }),
    );
    expect(refreshed.status).toBe(200);
    const pair = (await body(refreshed)) as AuthResult;

    const sessions = await call('/v1/auth/sessions', {
      headers: { authorization: `Bearer ${pair.accessToken}` },
    });
    expect(((await body(sessions)) as { items: unknown[] }).items).toHaveLength(2);
    const logout = await call('/v1/auth/logout', {
      method: 'POST',
      headers: { authorization: `Bearer ${pair.accessToken}` },
    });
    expect(logout.status).toBe(204);
    expect((await call('/v1/auth/refresh', json({ refreshToken: pair.refreshToken }))).status).toBe(401);
  });

  it('refuses protected routes without a valid token before they reach the service', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer garbage' },
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'Bearer a.b.c' },
    ]) {
      const res = await call('/v1/me', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await body(res)).code).toBe('unauthorized');
    }
  });

  it('serves the JWKS publicly and 404s unknown routes as problems', async () => {
    const jwks = await call('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect((await body(jwks)).keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    const unknown = await call('/v1/nowhere');
    expect(unknown.status).toBe(404);
    expect((await body(unknown)).code).toBe('not_found');
  });

  it('enforces the 1 MiB body limit with a 413, and passes malformed JSON on to be refused with a 400', async () => {
    const big = await call('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(big.status).toBe(413);
    expect((await body(big)).code).toBe('payload_too_large');
    const malformed = await call('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":',
    });
    expect(malformed.status).toBe(400);
    const proto = await call(
      '/v1/auth/login',
      json(JSON.parse('{"email":"a@b.co","password":"x","__proto__":{"admin":true}}')),
    );
    expect(proto.status).toBeLessThan(500);
  });

  it('keeps one request id from the client through the service', async () => {
    const res = await call(
      '/v1/auth/login',
      json({ email: uniqueEmail(), password: 'wrong password' }, { 'x-request-id': 'trace-me-123' }),
    );
    expect(res.headers.get('x-request-id')).toBe('trace-me-123');
    expect((await body(res)).requestId).toBe('trace-me-123');
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const allowed = await call('/v1/me', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    const denied = await call('/v1/me', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the merged OpenAPI document and Swagger UI at /docs', async () => {
    const doc = await body(await call('/docs/json'));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/auth/register', '/v1/auth/sessions/{id}', '/v1/me', '/v1/me/preferences']),
    );
    expect(doc.paths['/health/live']).toBeUndefined();
    const ui = await call('/docs/');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('is ready while Redis answers, and says which services behind it do not', async () => {
    const ready = await call('/health/ready');
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Record<string, string> };
    // Only identity runs in this test: the others are reported, without taking the gateway down.
    expect(body.checks).toMatchObject({
      redis: 'ok',
      identity: 'ok',
      conversation: expect.stringMatching(/failing/),
    });
    expect(body.status).toBe('degraded');
  });
});
