import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';

let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

const getMe = (accessToken: string) =>
  h.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(accessToken) });
const patchMe = (accessToken: string, payload: unknown) =>
  h.app.inject({
    method: 'PATCH',
    url: '/v1/me',
    headers: bearer(accessToken),
    payload: payload as Record<string, unknown>,
  });
const getPreferences = (accessToken: string) =>
  h.app.inject({ method: 'GET', url: '/v1/me/preferences', headers: bearer(accessToken) });
const putPreferences = (accessToken: string, preferences: unknown) =>
  h.app.inject({
    method: 'PUT',
    url: '/v1/me/preferences',
    headers: bearer(accessToken),
    payload: { preferences },
  });

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = { child: value };
  return value;
};

describe('/v1/me', () => {
  describe('happy', () => {
    it('GET answers my account', async () => {
      const account = await registerUser(h, { name: 'Grace Hopper' });
      const response = await getMe(account.accessToken);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(account.user);
      expect(response.json()).not.toHaveProperty('passwordHash');
    });

    it('PATCH changes name and username, and clears the name with null', async () => {
      const account = await registerUser(h, { name: 'Before' });
      const username = `renamed${Date.now().toString(36)}`;
      const changed = await patchMe(account.accessToken, { name: '  After  ', username });
      expect(changed.statusCode).toBe(200);
      expect(changed.json()).toEqual({ ...account.user, name: 'After', username });
      expect((await getMe(account.accessToken)).json()).toMatchObject({ name: 'After', username });

      const cleared = await patchMe(account.accessToken, { name: null });
      expect(cleared.statusCode).toBe(200);
      expect(cleared.json()).toMatchObject({ name: null, username });
    });

    it('PATCH keeps my own username when I change only its case', async () => {
      const username = `Case${Date.now().toString(36)}`;
      const account = await registerUser(h, { username });
      const response = await patchMe(account.accessToken, { username: username.toUpperCase() });
      expect(response.statusCode).toBe(200);
      expect(response.json().username).toBe(username.toUpperCase());
    });
  });

  describe('error', () => {
    it('PATCH answers 409 for a username another user has, in any case', async () => {
      const other = await registerUser(h, { username: `Owner${Date.now().toString(36)}` });
      const account = await registerUser(h);
      const response = await patchMe(account.accessToken, { username: other.user.username.toLowerCase() });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'conflict' });
      expect((await getMe(account.accessToken)).json().username).toBe(account.user.username);
    });

    it.each([
      ['an empty body', {}],
      ['an unknown field', { name: 'Ok', email: 'new@example.com' }],
      ['only unknown fields', { active: false }],
      ['an invalid username', { username: 'a b' }],
      ['a blank name', { name: '   ' }],
      ['a name with U+0000', { name: 'nul\u0000byte' }],
      ['a name of 201 characters', { name: 'n'.repeat(201) }],
      ['a number as name', { name: 42 }],
    ])('PATCH answers 400 for %s', async (_label, payload) => {
      const account = await registerUser(h);
      const response = await patchMe(account.accessToken, payload);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect((await getMe(account.accessToken)).json()).toEqual(account.user);
    });
  });
});

describe('/v1/me/preferences', () => {
  describe('happy', () => {
    it('starts empty, and PUT replaces the whole document, which GET answers back', async () => {
      const account = await registerUser(h);
      const initial = await getPreferences(account.accessToken);
      expect(initial.statusCode).toBe(200);
      expect(initial.json()).toEqual({ preferences: {}, updatedAt: expect.any(String) });

      const document = {
        theme: 'dark',
        language: 'de',
        editor: { tabSize: 2, wrap: true },
        pinned: ['a', 'b'],
        note: 'ünïcødé ✓',
      };
      const put = await putPreferences(account.accessToken, document);
      expect(put.statusCode).toBe(200);
      expect(put.json()).toEqual({ preferences: document, updatedAt: expect.any(String) });
      expect(Date.parse(put.json().updatedAt)).toBeGreaterThanOrEqual(Date.parse(initial.json().updatedAt));
      expect((await getPreferences(account.accessToken)).json().preferences).toEqual(document);

      expect((await putPreferences(account.accessToken, { theme: 'light' })).statusCode).toBe(200);
      expect((await getPreferences(account.accessToken)).json().preferences).toEqual({ theme: 'light' });
    });

    it('accepts a document just under 64 KiB and 32 levels deep', async () => {
      const account = await registerUser(h);
      expect((await putPreferences(account.accessToken, { blob: 'x'.repeat(60 * 1024) })).statusCode).toBe(
        200,
      );
      expect((await putPreferences(account.accessToken, nested(31))).statusCode).toBe(200);
      expect((await getPreferences(account.accessToken)).json().preferences).toEqual(nested(31));
    });
  });

  describe('error', () => {
    it('answers 400 above 64 KiB and keeps the previous document', async () => {
      const account = await registerUser(h);
      await putPreferences(account.accessToken, { kept: true });
      const response = await putPreferences(account.accessToken, { blob: 'x'.repeat(70 * 1024) });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'validation_failed',
        detail: expect.stringContaining('64 KiB'),
      });
      expect((await getPreferences(account.accessToken)).json().preferences).toEqual({ kept: true });
    });

    it.each([
      ['nested deeper than 32 levels', nested(40)],
      ['U+0000 in a value', { note: 'a\u0000b' }],
      ['U+0000 in a key', { 'a\u0000b': 1 }],
      ['an unpaired surrogate', { note: 'broken \ud800 text' }],
    ])('answers 400, not 500, for a document %s', async (_label, document) => {
      const account = await registerUser(h);
      const response = await putPreferences(account.accessToken, document);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_failed' });
    });

    it('answers 400 for thousands of levels of nesting without overflowing the stack', async () => {
      const account = await registerUser(h);
      const depth = 200_000;
      const payload = `{"preferences":{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
      const response = await h.app.inject({
        method: 'PUT',
        url: '/v1/me/preferences',
        headers: { ...bearer(account.accessToken), 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
    });

    it.each([
      ['a missing preferences field', {}],
      ['an array', { preferences: [1, 2] }],
      ['a string', { preferences: 'dark' }],
      ['null', { preferences: null }],
    ])('answers 400 for %s', async (_label, payload) => {
      const account = await registerUser(h);
      const response = await h.app.inject({
        method: 'PUT',
        url: '/v1/me/preferences',
        headers: bearer(account.accessToken),
        payload,
      });
      expect(response.statusCode).toBe(400);
    });
  });

  describe('security', () => {
    it('shows each user only their own preferences and account', async () => {
      const alice = await registerUser(h);
      const bob = await registerUser(h);
      await putPreferences(alice.accessToken, { secret: 'alice only' });
      await putPreferences(bob.accessToken, { secret: 'bob only' });
      expect((await getPreferences(alice.accessToken)).json().preferences).toEqual({ secret: 'alice only' });
      expect((await getPreferences(bob.accessToken)).json().preferences).toEqual({ secret: 'bob only' });
      expect((await getMe(bob.accessToken)).json().id).toBe(bob.user.id);
      // PATCH has no way to name another user: an id in the body is an unknown field.
      expect((await patchMe(alice.accessToken, { id: bob.user.id, name: 'Hijacked' })).statusCode).toBe(400);
      expect((await getMe(bob.accessToken)).json().name).toBe(bob.user.name);
    });
  });
});
