import { identityEvents } from '@conduit/contracts';
import argon2 from 'argon2';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  type IdentityHarness,
  loginUser,
  registerUser,
  STRONG_PASSWORD,
  startIdentityHarness,
  uniqueEmail,
} from '../fixtures/identity-harness.js';

const FAILURES_PER_ACCOUNT_AND_IP = 3;

let h: IdentityHarness;
const published: { subject: string; msgId: string | undefined; envelope: Record<string, unknown> }[] = [];

beforeAll(async () => {
  h = await startIdentityHarness({
    env: { LOGIN_FAILURES_PER_ACCOUNT_AND_IP: String(FAILURES_PER_ACCOUNT_AND_IP) },
  });
  h.bus.nc.subscribe(`${h.namespace}.identity.>`, {
    callback: (error, msg) => {
      if (!error)
        published.push({
          subject: msg.subject,
          msgId: msg.headers?.get('Nats-Msg-Id'),
          envelope: msg.json(),
        });
    },
  });
  await h.bus.nc.flush();
}, 60_000);
afterAll(() => h?.close(), 30_000);

/** A fresh client address per call, outside the trusted proxy ranges, so throttling stays per test. */
let addresses = 0;
const freshAddress = () => {
  addresses++;
  return `198.51.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`;
};

const post = (
  url: string,
  payload: unknown,
  extra: { remoteAddress?: string; headers?: Record<string, string> } = {},
) =>
  h.app.inject({
    method: 'POST',
    url,
    payload: payload as Record<string, unknown>,
    remoteAddress: extra.remoteAddress ?? freshAddress(),
    headers: extra.headers ?? {},
  });

const withoutRequestId = (body: Record<string, unknown>) => {
  const { requestId: _, ...rest } = body;
  return rest;
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

describe('POST /v1/auth/register', () => {
  describe('happy', () => {
    it('creates the account, signs it in and answers 201 with the user and a token pair', async () => {
      const email = uniqueEmail('new');
      const response = await post('/v1/auth/register', {
        email,
        password: STRONG_PASSWORD,
        username: `new${Date.now()}`,
        name: 'New Person',
      });
      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(Object.keys(body).sort()).toEqual([
        'accessToken',
        'expiresIn',
        'refreshToken',
        'tokenType',
        'user',
      ]);
      expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 15 * 60 });
      expect(body.user).toEqual({
        id: expect.any(String),
        email,
        username: expect.stringMatching(/^new\d+$/),
        name: 'New Person',
        organizationId: expect.any(String),
        active: true,
        createdAt: expect.any(String),
      });
      // 256-bit opaque refresh token; the EdDSA access token verifies against identity's own JWKS.
      expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(decodeProtectedHeader(body.accessToken)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
      const jwks = (await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
      const jwk = jwks.keys.find(
        (key: { kid: string }) => key.kid === decodeProtectedHeader(body.accessToken).kid,
      );
      const { payload } = await jwtVerify(body.accessToken, await importJWK(jwk, 'EdDSA'));
      expect(payload).toMatchObject({
        sub: body.user.id,
        org: body.user.organizationId,
        sid: expect.any(String),
      });
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(15 * 60);

      const me = await h.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(body.accessToken) });
      expect(me.json()).toEqual(body.user);
    });

    it('derives a username from the email when none is given, and de-duplicates it', async () => {
      const local = `Ada.Lovelace+x${Date.now().toString(36)}`;
      const first = await registerUser(h, { email: `${local}@example.com` });
      expect(first.user.username).toBe(local.replace('+', ''));
      const second = await registerUser(h, { email: `${local}@example.org` });
      expect(second.user.username).toMatch(
        new RegExp(`^${local.replace('+', '').replace('.', '\\.')}-[0-9a-f]{6}$`),
      );
    });

    it('accepts passwords of exactly 8 and 128 characters, counted as characters', async () => {
      await registerUser(h, { password: '🦊🐙🦉🐢🦔🐝🦋🐞' });
      await registerUser(h, { password: 'long horse battery staple '.repeat(5).slice(0, 128) });
    });

    it('records identity.user.registered and identity.user.logged_in in the outbox and publishes them', async () => {
      const { user } = await registerUser(h, { name: 'Evented' });
      const rows = await h.admin<{ subject: string; payload: Record<string, unknown> }[]>`
        select subject, payload from identity.outbox where payload->'data'->>'userId' = ${user.id}
          and subject in ('identity.user.registered', 'identity.user.logged_in') order by created_at, id`;
      expect(rows.map((row) => row.subject)).toEqual(['identity.user.registered', 'identity.user.logged_in']);

      const registered = identityEvents.userRegistered.envelope.parse(rows[0]!.payload);
      const loggedIn = identityEvents.userLoggedIn.envelope.parse(rows[1]!.payload);
      expect(registered.data).toEqual({
        userId: user.id,
        organizationId: user.organizationId,
        email: user.email,
        username: user.username,
        name: 'Evented',
      });
      expect(loggedIn.data).toEqual({
        userId: user.id,
        sessionId: expect.any(String),
        method: 'registration',
      });
      expect(registered.actor).toEqual({
        userId: user.id,
        sessionId: loggedIn.data.sessionId,
        orgId: user.organizationId,
      });

      await expect
        .poll(
          () =>
            published.filter(
              (event) =>
                (event.envelope.data as { userId?: string }).userId === user.id &&
                !event.subject.endsWith('member_added'),
            ),
          { timeout: 10_000 },
        )
        .toHaveLength(2);
      const onBus = published.filter(
        (event) =>
          (event.envelope.data as { userId?: string }).userId === user.id &&
          !event.subject.endsWith('member_added'),
      );
      expect(onBus.map((event) => event.subject)).toEqual([
        `${h.namespace}.identity.user.registered`,
        `${h.namespace}.identity.user.logged_in`,
      ]);
      expect(onBus.map((event) => event.envelope)).toEqual([registered, loggedIn]);
      expect(onBus.map((event) => event.msgId)).toEqual([registered.id, loggedIn.id]);
      // The relay marks the rows after the broker's acks (and may still be publishing other rows of
      // the batch): longer than the poll's default second.
      await expect
        .poll(
          async () =>
            (
              await h.admin`select count(*)::int as n from identity.outbox where published_at is null and payload->'data'->>'userId' = ${user.id}`
            )[0]!.n,
          { timeout: 10_000 },
        )
        .toBe(0);
    });
  });

  describe('error', () => {
    it('answers 409 for an email that exists in another case', async () => {
      const { email } = await registerUser(h);
      const response = await post('/v1/auth/register', {
        email: email.toUpperCase(),
        password: STRONG_PASSWORD,
      });
      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 409, code: 'conflict' });
    });

    it('answers 409 for a username that is taken, whatever its case', async () => {
      const username = `Taken${Date.now().toString(36)}`;
      await registerUser(h, { username });
      const response = await post('/v1/auth/register', {
        email: uniqueEmail(),
        password: STRONG_PASSWORD,
        username: username.toLowerCase(),
      });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({
        code: 'conflict',
        detail: expect.stringContaining('username'),
      });
    });

    it.each(['password123', 'qwertyuiop', 'Password123'])(
      'answers 422 for the common password %s',
      async (password) => {
        const response = await post('/v1/auth/register', { email: uniqueEmail(), password });
        expect(response.statusCode).toBe(422);
        expect(response.json()).toMatchObject({
          code: 'unprocessable',
          errors: [{ path: 'body.password', message: 'is too common' }],
        });
      },
    );

    it('answers 422 for a password that is the email itself', async () => {
      const email = uniqueEmail();
      const response = await post('/v1/auth/register', { email, password: email.toUpperCase() });
      expect(response.statusCode).toBe(422);
    });

    it.each([
      ['7 characters', 'abc1234'],
      ['129 characters', 'x'.repeat(129)],
    ])('answers 400 for a password of %s', async (_label, password) => {
      const response = await post('/v1/auth/register', { email: uniqueEmail(), password });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'validation_failed',
        errors: [expect.objectContaining({ path: 'body.password' })],
      });
    });

    it.each([
      ['an invalid email', { email: 'not-an-email', password: STRONG_PASSWORD }],
      ['an invalid username', { email: uniqueEmail(), password: STRONG_PASSWORD, username: '-x' }],
      ['a blank name', { email: uniqueEmail(), password: STRONG_PASSWORD, name: '   ' }],
    ])('answers 400 for %s', async (_label, payload) => {
      expect((await post('/v1/auth/register', payload)).statusCode).toBe(400);
    });
  });
});

describe('POST /v1/auth/login', () => {
  describe('happy', () => {
    it('signs in with email (in any case) and password, and records identity.user.logged_in', async () => {
      const account = await registerUser(h);
      const response = await post('/v1/auth/login', {
        email: account.email.toUpperCase(),
        password: account.password,
      });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({ user: account.user, tokenType: 'Bearer', expiresIn: 900 });
      expect(body.refreshToken).not.toBe(account.refreshToken);
      expect(
        (await h.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(body.accessToken) })).statusCode,
      ).toBe(200);

      const rows = await h.admin<{ payload: { data: { method: string } } }[]>`
        select payload from identity.outbox where subject = 'identity.user.logged_in' and payload->'data'->>'userId' = ${account.user.id}`;
      expect(rows.map((row) => row.payload.data.method).sort()).toEqual(['password', 'registration']);
    });
  });

  describe('error', () => {
    it('answers a wrong password and an unknown email with the same 401 body', async () => {
      const account = await registerUser(h);
      const wrong = await post('/v1/auth/login', {
        email: account.email,
        password: 'not the password at all',
      });
      const unknown = await post('/v1/auth/login', {
        email: uniqueEmail('nobody'),
        password: 'not the password at all',
      });
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.headers['content-type']).toBe(unknown.headers['content-type']);
      expect(withoutRequestId(wrong.json())).toEqual(withoutRequestId(unknown.json()));
      expect(wrong.json()).toMatchObject({ code: 'invalid_credentials', status: 401 });
    });

    it('takes about as long for a wrong password as for an unknown email', async () => {
      const account = await registerUser(h);
      const timed = async (email: string) => {
        const started = performance.now();
        const response = await post('/v1/auth/login', { email, password: 'not the password at all' });
        expect(response.statusCode).toBe(401);
        return performance.now() - started;
      };
      await timed(account.email); // warm-up
      const known: number[] = [];
      const unknown: number[] = [];
      for (let round = 0; round < 7; round++) {
        known.push(await timed(account.email));
        unknown.push(await timed(uniqueEmail('nobody')));
      }
      const ratio = median(known) / median(unknown);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });

    it('refuses a disabled account with the same 401 body, even with the right password', async () => {
      const account = await registerUser(h);
      await h.admin`update identity.users set active = false where id = ${account.user.id}`;
      const disabled = await post('/v1/auth/login', { email: account.email, password: account.password });
      const unknown = await post('/v1/auth/login', {
        email: uniqueEmail('nobody'),
        password: account.password,
      });
      expect(disabled.statusCode).toBe(401);
      expect(withoutRequestId(disabled.json())).toEqual(withoutRequestId(unknown.json()));
    });

    it('records every refused sign-in as identity.user.login_failed, naming the account or nobody, never the address or password', async () => {
      const account = await registerUser(h);
      const stranger = uniqueEmail('nobody');
      const guess = 'a guess nobody else makes 7f3a';
      const attacker = freshAddress();
      const failed = () => h.admin<{ payload: { actor: unknown; data: Record<string, unknown> } }[]>`
        select payload from identity.outbox where subject = ${identityEvents.userLoginFailed.subject}
        order by id`;
      const before = (await failed()).length;
      for (const email of [account.email, stranger, account.email, account.email, account.email])
        expect([401, 429]).toContain(
          (await post('/v1/auth/login', { email, password: guess }, { remoteAddress: attacker })).statusCode,
        );
      const events = (await failed()).slice(before).map((row) => row.payload);
      for (const event of events) identityEvents.userLoginFailed.envelope.parse(event);
      expect(events.map((event) => event.data)).toEqual([
        {
          userId: account.user.id,
          organizationId: account.user.organizationId,
          method: 'password',
          reason: 'invalid_credentials',
        },
        { userId: null, organizationId: null, method: 'password', reason: 'invalid_credentials' },
        {
          userId: account.user.id,
          organizationId: account.user.organizationId,
          method: 'password',
          reason: 'invalid_credentials',
        },
        {
          userId: account.user.id,
          organizationId: account.user.organizationId,
          method: 'password',
          reason: 'invalid_credentials',
        },
        // Three failures for the account from this address: the fourth attempt meets the throttle.
        {
          userId: account.user.id,
          organizationId: account.user.organizationId,
          method: 'password',
          reason: 'throttled',
        },
      ]);
      // A failed attempt is nobody's act: the account may not be the one who tried.
      expect(events.map((event) => event.actor)).toEqual([null, null, null, null, null]);
      const leaked = await h.admin`
        select count(*)::int as n from identity.outbox
        where position(${stranger} in payload::text) > 0 or position(${guess} in payload::text) > 0
          or position(${account.email} in payload::text) > 0 and subject = ${identityEvents.userLoginFailed.subject}`;
      expect(leaked[0]!.n).toBe(0);
    });

    it('answers 400 for a missing password or an invalid email', async () => {
      expect((await post('/v1/auth/login', { email: uniqueEmail() })).statusCode).toBe(400);
      expect((await post('/v1/auth/login', { email: 'nope', password: 'x' })).statusCode).toBe(400);
    });
  });

  describe('security: throttling failed logins', () => {
    it('answers 429 with Retry-After after too many failures for one account from one address', async () => {
      const account = await registerUser(h);
      const attacker = freshAddress();
      for (let attempt = 0; attempt < FAILURES_PER_ACCOUNT_AND_IP; attempt++) {
        const response = await post(
          '/v1/auth/login',
          { email: account.email, password: 'guess number one' },
          { remoteAddress: attacker },
        );
        expect(response.statusCode).toBe(401);
      }
      const locked = await post(
        '/v1/auth/login',
        { email: account.email, password: 'another guess' },
        { remoteAddress: attacker },
      );
      expect(locked.statusCode).toBe(429);
      expect(locked.json()).toMatchObject({ code: 'rate_limited', status: 429 });
      const retryAfter = Number(locked.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      // Even the right password waits: the throttle answers before the password is checked.
      const right = await post(
        '/v1/auth/login',
        { email: account.email, password: account.password },
        { remoteAddress: attacker },
      );
      expect(right.statusCode).toBe(429);
    });

    it('does not lock the real user out from another address', async () => {
      const account = await registerUser(h);
      const attacker = freshAddress();
      for (let attempt = 0; attempt <= FAILURES_PER_ACCOUNT_AND_IP; attempt++) {
        await post(
          '/v1/auth/login',
          { email: account.email, password: 'guess' },
          { remoteAddress: attacker },
        );
      }
      expect(
        (
          await post(
            '/v1/auth/login',
            { email: account.email, password: 'guess' },
            { remoteAddress: attacker },
          )
        ).statusCode,
      ).toBe(429);

      const owner = freshAddress();
      expect(
        (
          await post(
            '/v1/auth/login',
            { email: account.email, password: 'typo in it' },
            { remoteAddress: owner },
          )
        ).statusCode,
      ).toBe(401);
      await loginUser(h, { email: account.email, password: account.password, remoteAddress: owner });
      // Behind the trusted proxy (loopback), the forwarded client address is the one that counts.
      const viaProxy = await post(
        '/v1/auth/login',
        { email: account.email, password: account.password },
        { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.77' } },
      );
      expect(viaProxy.statusCode).toBe(200);
    });

    it('ignores X-Forwarded-For from an untrusted address, so it cannot dodge the throttle', async () => {
      const account = await registerUser(h);
      const attacker = freshAddress();
      for (let attempt = 0; attempt < FAILURES_PER_ACCOUNT_AND_IP + 2; attempt++) {
        await post(
          '/v1/auth/login',
          { email: account.email, password: 'guess' },
          { remoteAddress: attacker, headers: { 'x-forwarded-for': `203.0.113.${attempt + 1}` } },
        );
      }
      const response = await post(
        '/v1/auth/login',
        { email: account.email, password: 'guess' },
        { remoteAddress: attacker, headers: { 'x-forwarded-for': '203.0.113.200' } },
      );
      expect(response.statusCode).toBe(429);
    });
  });

  describe('security: password storage', () => {
    it('stores an argon2id hash at the configured cost, and a login leaves it alone', async () => {
      const account = await registerUser(h);
      const [before] =
        await h.admin`select password_hash, updated_at from identity.users where id = ${account.user.id}`;
      expect(before!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      expect(before!.password_hash).not.toContain(account.password);
      await loginUser(h, account);
      const [after] =
        await h.admin`select password_hash, updated_at from identity.users where id = ${account.user.id}`;
      expect(after).toEqual(before);
    });

    it('upgrades a hash made at a lower cost when the user next signs in', async () => {
      const account = await registerUser(h);
      const weak = await argon2.hash(account.password, {
        type: argon2.argon2id,
        memoryCost: 8192,
        timeCost: 1,
        parallelism: 1,
      });
      await h.admin`update identity.users set password_hash = ${weak} where id = ${account.user.id}`;
      await loginUser(h, account);
      const [after] = await h.admin`select password_hash from identity.users where id = ${account.user.id}`;
      expect(after!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      await loginUser(h, account);
    });
  });
});
