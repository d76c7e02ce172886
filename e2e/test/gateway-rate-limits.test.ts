import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  type IdentityHarness,
  startIdentityHarness,
  uniqueEmail,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let identity: IdentityHarness;
let gateway: GatewayHarness;

beforeAll(async () => {
  identity = await startIdentityHarness();
  gateway = await startGateway({
    IDENTITY_URL: await identity.app.listen({ port: 0, host: '127.0.0.1' }),
    AUTH_RATE_LIMIT_MAX: '3',
    RATE_LIMIT_MAX: '5',
  });
});
afterAll(async () => {
  await gateway?.close();
  await identity?.close();
});

describe('rate limits', () => {
  it('give the public sign-in routes a small budget and answer 429 with Retry-After beyond it', async () => {
    const attempt = () =>
      fetch(`${gateway.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: uniqueEmail(), password: 'not the password' }),
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const limited = await attempt();
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await limited.json()).toMatchObject({ status: 429, code: 'rate_limited' });
  });

  it('count signed-in callers by user, apart from the sign-in budget', async () => {
    const registered = await identity.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: uniqueEmail(), password: 'correct horse battery staple' },
    });
    const { accessToken } = registered.json() as { accessToken: string };
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await fetch(`${gateway.url}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status,
      );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
