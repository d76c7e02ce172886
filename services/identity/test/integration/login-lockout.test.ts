import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthResult,
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';

// Lock-out as an attacker meets it: wrong passwords slow the address they come from, never the
// owner elsewhere; many addresses brake the account only briefly; a known device always gets in.

const PER_ACCOUNT_AND_ADDRESS = 3;
const ACCOUNT_BRAKE = 6;

let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness({
    env: {
      LOGIN_FAILURES_PER_ACCOUNT_AND_IP: String(PER_ACCOUNT_AND_ADDRESS),
      LOGIN_FAILURES_PER_ACCOUNT: String(ACCOUNT_BRAKE),
      LOGIN_ACCOUNT_BRAKE_WINDOW: '1m',
    },
  });
}, 60_000);
afterAll(() => h?.close(), 30_000);

const signIn = (body: { email: string; password: string; refreshToken?: string }, address: string) =>
  h.app.inject({ method: 'POST', url: '/v1/auth/login', payload: body, remoteAddress: address });

interface Activity {
  type: string;
  ip: string | null;
  metadata: Record<string, unknown>;
}

/** The account's own trail, oldest first. */
async function activityOf(account: AuthResult): Promise<Activity[]> {
  const response = await h.app.inject({
    method: 'GET',
    url: '/v1/me/activity?limit=100',
    headers: bearer(account.accessToken),
  });
  expect(response.statusCode).toBe(200);
  return (response.json().items as Activity[]).reverse();
}

describe('signing in while someone guesses the password', () => {
  it('slows the guessing address (429 + Retry-After) while the owner signs in from another', async () => {
    const owner = await registerUser(h);
    const attacker = '203.0.113.7';
    const answers = [];
    for (let guess = 0; guess < 20; guess++)
      answers.push(await signIn({ email: owner.email, password: `guess ${guess}` }, attacker));
    expect(answers.slice(0, PER_ACCOUNT_AND_ADDRESS).map((a) => a.statusCode)).toEqual([401, 401, 401]);
    for (const slowed of answers.slice(PER_ACCOUNT_AND_ADDRESS)) {
      expect(slowed.statusCode).toBe(429);
      expect(slowed.json()).toMatchObject({ code: 'rate_limited' });
      expect(Number(slowed.headers['retry-after'])).toBeGreaterThan(60);
      expect(Number(slowed.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    }
    // The right password from the guessing address waits too: the throttle answers first.
    expect((await signIn({ email: owner.email, password: owner.password }, attacker)).statusCode).toBe(429);

    const signedIn = await signIn({ email: owner.email, password: owner.password }, '198.51.100.20');
    expect(signedIn.statusCode).toBe(200);

    // Every attempt is in the owner's activity, with the address it came from.
    const trail = (await activityOf(signedIn.json())).filter((a) => a.type.startsWith('login'));
    expect(trail.map((a) => [a.type, a.ip])).toEqual([
      ...Array(PER_ACCOUNT_AND_ADDRESS).fill(['login_failed', attacker]),
      ...Array(20 - PER_ACCOUNT_AND_ADDRESS + 1).fill(['login_throttled', attacker]),
      ['login', '198.51.100.20'],
    ]);
    expect(trail[PER_ACCOUNT_AND_ADDRESS]!.metadata).toMatchObject({ brake: 'account_and_address' });
  });

  it('brakes the account only briefly when many addresses guess, and lets a known device in', async () => {
    const owner = await registerUser(h);
    for (let guess = 0; guess < ACCOUNT_BRAKE; guess++) {
      const answer = await signIn({ email: owner.email, password: 'guess' }, `203.0.113.${20 + guess}`);
      expect(answer.statusCode).toBe(401);
    }
    const braked = await signIn({ email: owner.email, password: owner.password }, '198.51.100.30');
    expect(braked.statusCode).toBe(429);
    expect(Number(braked.headers['retry-after'])).toBeLessThanOrEqual(60);

    // Someone else's refresh token is no pass; the owner's device, holding its live session, is.
    const stranger = await registerUser(h);
    const borrowed = { email: owner.email, password: owner.password, refreshToken: stranger.refreshToken };
    expect((await signIn(borrowed, '198.51.100.30')).statusCode).toBe(429);
    const device = { email: owner.email, password: owner.password, refreshToken: owner.refreshToken };
    const signedIn = await signIn(device, '198.51.100.30');
    expect(signedIn.statusCode).toBe(200);

    const trail = await activityOf(signedIn.json());
    expect(trail.filter((a) => a.type === 'login_throttled').map((a) => a.metadata.brake)).toEqual([
      'account',
      'account',
    ]);
    expect(trail.at(-1)).toMatchObject({ type: 'login', metadata: { knownDevice: true } });
  });

  it('judges a known device by its own failures, leaving the owner elsewhere alone', async () => {
    const owner = await registerUser(h);
    const device = { email: owner.email, refreshToken: owner.refreshToken };
    // A shared address (an office, a NAT) already locked for this account by someone else:
    const shared = '203.0.113.50';
    for (let guess = 0; guess <= PER_ACCOUNT_AND_ADDRESS; guess++)
      await signIn({ email: owner.email, password: 'guess' }, shared);
    expect((await signIn({ email: owner.email, password: owner.password }, shared)).statusCode).toBe(429);
    expect((await signIn({ ...device, password: owner.password }, shared)).statusCode).toBe(200);
    for (let typo = 0; typo < PER_ACCOUNT_AND_ADDRESS; typo++)
      expect((await signIn({ ...device, password: 'typo' }, shared)).statusCode).toBe(401);
    const slowed = await signIn({ ...device, password: owner.password }, shared);
    expect(slowed.statusCode).toBe(429);
    expect((await signIn({ email: owner.email, password: owner.password }, '198.51.100.40')).statusCode).toBe(
      200,
    );
  });
});
