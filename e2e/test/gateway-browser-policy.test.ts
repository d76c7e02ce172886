import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  type IdentityHarness,
  STRONG_PASSWORD,
  startIdentityHarness,
  uniqueEmail,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a browser is told by the gateway: security headers on every answer, CORS credentials only
// for an origin configured by name, no caching of answers that carry tokens, HSTS when configured.

const APP = 'https://app.example';
let identity: IdentityHarness;
let gateway: GatewayHarness;
/** Configured for TLS and for any origin. */
let tlsGateway: GatewayHarness;

beforeAll(async () => {
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  gateway = await startGateway({ IDENTITY_URL: identityUrl, CORS_ORIGINS: APP, AUTH_RATE_LIMIT_MAX: '1000' });
  tlsGateway = await startGateway({ IDENTITY_URL: identityUrl, CORS_ORIGINS: '*', HSTS_MAX_AGE: '180d' });
}, 60_000);
afterAll(async () => {
  await tlsGateway?.close();
  await gateway?.close();
  await identity?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('security headers', () => {
  it("are on every answer: the gateway's own, a service's, an error's", async () => {
    const answers = [
      await fetch(`${gateway.url}/health/live`),
      await fetch(`${gateway.url}/.well-known/jwks.json`),
      await fetch(`${gateway.url}/v1/me`),
      await post('/v1/auth/login', { email: uniqueEmail(), password: 'not the password' }),
      await fetch(`${gateway.url}/no/such/route`),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 401, 401, 404]);
    for (const answer of answers) {
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
      // Not configured for TLS: no HSTS.
      expect(answer.headers.get('strict-transport-security')).toBeNull();
      await answer.arrayBuffer();
    }
  });

  it('keep answers that carry tokens out of every cache', async () => {
    const email = uniqueEmail('headers');
    const registered = await post('/v1/auth/register', { email, password: STRONG_PASSWORD });
    expect(registered.status).toBe(201);
    expect(registered.headers.get('cache-control')).toBe('no-store');
    const { refreshToken } = (await registered.json()) as { refreshToken: string };
    const signedIn = await post('/v1/auth/login', { email, password: STRONG_PASSWORD });
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('cache-control')).toBe('no-store');
    const refreshed = await post('/v1/auth/refresh', { refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get('cache-control')).toBe('no-store');
    await Promise.all([signedIn.arrayBuffer(), refreshed.arrayBuffer()]);
  });

  it('let the API docs run their own scripts, still unframed', async () => {
    const page = await fetch(`${gateway.url}/docs/static/index.html`);
    expect(page.status).toBe(200);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/script-src 'self'/);
    expect(policy).not.toContain('upgrade-insecure-requests');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    await page.arrayBuffer();
  });

  it('include HSTS when the gateway is configured for TLS', async () => {
    const answer = await fetch(`${tlsGateway.url}/health/live`);
    expect(answer.headers.get('strict-transport-security')).toBe('max-age=15552000');
    await answer.arrayBuffer();
  });
});

describe('CORS', () => {
  const withOrigin = (origin: string | undefined, url = `${gateway.url}/v1/me`, init: RequestInit = {}) =>
    fetch(url, { ...init, headers: { ...(origin ? { origin } : {}), ...init.headers } });

  it('allows credentials only with an origin configured by name', async () => {
    const allowed = await withOrigin(APP);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('retry-after');
    expect(allowed.headers.get('vary')).toMatch(/origin/i);
    for (const origin of ['https://evil.example', 'http://localhost:3000', undefined]) {
      const refused = await withOrigin(origin);
      expect(refused.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(refused.headers.get('access-control-allow-credentials'), origin).toBeNull();
      await refused.arrayBuffer();
    }
    await allowed.arrayBuffer();
  });

  it('answers preflights for the configured origin only', async () => {
    const preflight = (origin: string) =>
      withOrigin(origin, `${gateway.url}/v1/me`, {
        method: 'OPTIONS',
        headers: {
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const allowed = await preflight(APP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    // Every method the API answers, not only GET, HEAD and POST: a page may change and delete.
    expect(allowed.headers.get('access-control-allow-methods')?.split(/,\s*/).sort()).toEqual([
      'DELETE',
      'GET',
      'HEAD',
      'PATCH',
      'POST',
      'PUT',
    ]);
    expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization');
    expect(allowed.headers.get('access-control-max-age')).toBe('600');
    expect(allowed.headers.get('vary')).toMatch(/access-control-request-headers/i);
    const refused = await preflight('https://evil.example');
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('access-control-allow-credentials')).toBeNull();
    await Promise.all([allowed.arrayBuffer(), refused.arrayBuffer()]);
  });

  it('allows any origin without credentials when configured with *', async () => {
    const answer = await withOrigin('https://anyone.example', `${tlsGateway.url}/v1/me`);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    await answer.arrayBuffer();
  });
});
