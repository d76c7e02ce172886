import { uuidv7 } from '@conduit/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Route {
  method: Method;
  url: string;
  /** Needs an access token; bad input is sent with a valid one, so that it reaches validation. */
  auth?: 'shared' | 'own';
  /** A valid body, from which the wrong-type and missing-field variants are derived. */
  body?: Record<string, unknown>;
}

const routes: Route[] = [
  {
    method: 'POST',
    url: '/v1/auth/register',
    body: {
      email: 'bad-input@example.com',
      password: 'a decent passphrase',
      username: 'badinput',
      name: 'Bad Input',
    },
  },
  {
    method: 'POST',
    url: '/v1/auth/login',
    body: { email: 'bad-input@example.com', password: 'not the passphrase' },
  },
  { method: 'POST', url: '/v1/auth/refresh', body: { refreshToken: 'R'.repeat(43) } },
  { method: 'POST', url: '/v1/auth/logout', auth: 'own' },
  { method: 'GET', url: '/v1/auth/sessions', auth: 'shared' },
  { method: 'DELETE', url: `/v1/auth/sessions/${uuidv7()}`, auth: 'shared' },
  { method: 'POST', url: '/v1/auth/password-reset', body: { email: 'bad-input@example.com' } },
  {
    method: 'POST',
    url: '/v1/auth/password-reset/confirm',
    body: { token: 'T'.repeat(43), password: 'a decent passphrase' },
  },
  { method: 'POST', url: '/v1/auth/login-token', body: { email: 'bad-input@example.com' } },
  { method: 'POST', url: '/v1/auth/login-token/redeem', body: { token: 'L'.repeat(43) } },
  { method: 'GET', url: '/v1/me', auth: 'shared' },
  { method: 'PATCH', url: '/v1/me', auth: 'shared', body: { name: 'Still Valid' } },
  { method: 'GET', url: '/v1/me/preferences', auth: 'shared' },
  { method: 'PUT', url: '/v1/me/preferences', auth: 'shared', body: { preferences: { theme: 'dark' } } },
  { method: 'POST', url: '/v1/organizations', auth: 'shared', body: { name: 'Bad Input Org' } },
  { method: 'GET', url: '/v1/organizations', auth: 'shared' },
  { method: 'GET', url: `/v1/organizations/${uuidv7()}`, auth: 'shared' },
  { method: 'GET', url: `/v1/organizations/${uuidv7()}/members`, auth: 'shared' },
  {
    method: 'POST',
    url: `/v1/organizations/${uuidv7()}/invites`,
    auth: 'shared',
    body: { email: 'x@example.com' },
  },
  { method: 'POST', url: '/v1/invites/accept', auth: 'shared', body: { token: 'I'.repeat(43) } },
  { method: 'POST', url: '/v1/teams', auth: 'shared', body: { name: 'Bad Input Team' } },
  { method: 'GET', url: '/v1/teams', auth: 'shared' },
  { method: 'GET', url: `/v1/teams/${uuidv7()}`, auth: 'shared' },
  { method: 'GET', url: `/v1/teams/${uuidv7()}/members`, auth: 'shared' },
  { method: 'POST', url: `/v1/teams/${uuidv7()}/members`, auth: 'shared', body: { email: 'x@example.com' } },
  { method: 'POST', url: `/v1/teams/${uuidv7()}/invites`, auth: 'shared', body: { email: 'x@example.com' } },
  {
    method: 'PATCH',
    url: `/v1/teams/${uuidv7()}/members/${uuidv7()}`,
    auth: 'shared',
    body: { role: 'viewer' },
  },
  { method: 'DELETE', url: `/v1/teams/${uuidv7()}/members/${uuidv7()}`, auth: 'shared' },
  { method: 'POST', url: `/v1/teams/${uuidv7()}/leave`, auth: 'shared' },
  { method: 'GET', url: `/v1/teams/${uuidv7()}/subscription`, auth: 'shared' },
  { method: 'GET', url: '/v1/permissions', auth: 'shared' },
  { method: 'GET', url: '/v1/me/permissions', auth: 'shared' },
  { method: 'GET', url: '/v1/roles', auth: 'shared' },
  {
    method: 'POST',
    url: '/v1/roles',
    auth: 'shared',
    body: { name: 'bad-input-role', permissions: ['bots.read'] },
  },
  { method: 'GET', url: `/v1/roles/${uuidv7()}`, auth: 'shared' },
  {
    method: 'PUT',
    url: `/v1/roles/${uuidv7()}/permissions`,
    auth: 'shared',
    body: { permissions: ['bots.read'] },
  },
  { method: 'DELETE', url: `/v1/roles/${uuidv7()}`, auth: 'shared' },
  { method: 'POST', url: `/v1/roles/${uuidv7()}/users`, auth: 'shared', body: { userId: uuidv7() } },
  { method: 'DELETE', url: `/v1/roles/${uuidv7()}/users/${uuidv7()}`, auth: 'shared' },
  {
    method: 'POST',
    url: `/v1/users/${uuidv7()}/permissions`,
    auth: 'shared',
    body: { permission: 'kb.write' },
  },
  { method: 'DELETE', url: `/v1/users/${uuidv7()}/permissions/kb.write`, auth: 'shared' },
  { method: 'GET', url: '/v1/me/activity', auth: 'shared' },
  { method: 'GET', url: '/v1/admin/activity', auth: 'shared' },
  { method: 'GET', url: '/v1/plans', auth: 'shared' },
  { method: 'GET', url: '/v1/me/subscription', auth: 'shared' },
  { method: 'PUT', url: `/v1/admin/subscriptions/team/${uuidv7()}`, auth: 'shared', body: { planId: 'pro' } },
  { method: 'GET', url: '/.well-known/jwks.json' },
  { method: 'GET', url: '/health/live' },
  { method: 'GET', url: '/health/ready' },
  { method: 'GET', url: '/openapi.json' },
];

interface BadRequest {
  label: string;
  payload?: string;
  headers?: Record<string, string>;
  url?: string;
}

const json = (value: unknown) => ({
  payload: JSON.stringify(value),
  headers: { 'content-type': 'application/json' },
});
const ONE_MIB = 1024 * 1024;

/** Every hostile variant of a request to `route`. */
function badRequestsFor(route: Route): BadRequest[] {
  const body = route.body ?? { anything: 'at all' };
  const raw = (label: string, payload: string, contentType = 'application/json'): BadRequest => ({
    label,
    payload,
    headers: { 'content-type': contentType },
  });
  const requests: BadRequest[] = [
    raw('malformed JSON', '{"email": "a@example.com", '),
    raw('trailing garbage after JSON', `${JSON.stringify(body)} trailing`),
    raw('an empty JSON body', ''),
    raw('JSON null', 'null'),
    raw('a JSON array', JSON.stringify([body])),
    raw('a JSON string', '"just a string"'),
    raw('a huge JSON number', '1'.repeat(400)),
    raw('a deeply nested JSON array', `${'['.repeat(100_000)}${']'.repeat(100_000)}`),
    raw('a __proto__ key', `{"__proto__":{"admin":true},${JSON.stringify(body).slice(1)}`),
    raw(
      'a nested __proto__ key',
      JSON.stringify(body).replace(/}$/, ',"nested":{"__proto__":{"admin":true}}}'),
    ),
    raw(
      'a constructor.prototype payload',
      `{"constructor":{"prototype":{"admin":true}},${JSON.stringify(body).slice(1)}`,
    ),
    raw('valid JSON as text/plain', JSON.stringify(body), 'text/plain'),
    raw('XML', '<login><email>a@example.com</email></login>', 'application/xml'),
    raw('a form', 'email=a%40example.com&password=x', 'application/x-www-form-urlencoded'),
    raw(
      'multipart',
      '--b\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n--b--\r\n',
      'multipart/form-data; boundary=b',
    ),
    raw('an invalid content type', JSON.stringify(body), 'this is not a media type'),
    raw('JSON declared as UTF-16', JSON.stringify(body), 'application/json; charset=utf-16'),
    raw('JSON with a broken parameter', JSON.stringify(body), 'application/json; charset'),
    raw('an oversized body', JSON.stringify({ ...body, padding: 'x'.repeat(ONE_MIB) })),
    { label: 'a body without a content type', payload: JSON.stringify(body) },
    { ...json({}), label: 'an empty object' },
    { ...json({ ...body, unexpected: { deep: [1, 2, 3] } }), label: 'an unknown extra field' },
  ];
  for (const key of Object.keys(body)) {
    const { [key]: _, ...rest } = body;
    requests.push({ ...json(rest), label: `missing ${key}` });
    for (const [kind, value] of [
      ['a number', 42],
      ['a boolean', true],
      ['null', null],
      ['an array', ['x']],
      ['an object', { x: 1 }],
      ['a huge string', 'x'.repeat(100_000)],
    ] as const) {
      requests.push({ ...json({ ...body, [key]: value }), label: `${key} as ${kind}` });
    }
    for (const [kind, value] of [
      ['with U+0000', 'nul\u0000inside'],
      ['with an unpaired surrogate', 'broken\ud800'],
      ['of control characters', '\u0001\u0002\u001b[31m'],
      ['with RTL overrides', '\u202eevil'],
    ] as const) {
      requests.push({ ...json({ ...body, [key]: value }), label: `${key} ${kind}` });
      requests.push({
        ...json({ ...body, [key]: `${value}@example.com` }),
        label: `${key} email-shaped ${kind}`,
      });
    }
  }
  for (const token of [
    'garbage',
    'x'.repeat(20),
    'y'.repeat(200),
    'z'.repeat(201),
    '../../etc/passwd/../../..',
    "'; drop table identity.users; --",
    '\u0000'.repeat(32),
    '🔑'.repeat(30),
  ]) {
    for (const field of ['refreshToken', 'token']) {
      if (field in body)
        requests.push({
          ...json({ ...body, [field]: token }),
          label: `${field} = garbage ${JSON.stringify(token.slice(0, 12))}`,
        });
    }
  }
  for (const authorization of [
    'Bearer garbage',
    'Bearer ',
    'Bearer a.b.c',
    `Bearer ${'a'.repeat(10_000)}`,
    'Basic Zm9vOmJhcg==',
    'Bearer eyJhbGciOiJub25lIn0.e30.',
    'Bearer \u00ff\u00fe',
  ]) {
    requests.push({ label: `Authorization: ${authorization.slice(0, 20)}`, headers: { authorization } });
  }
  for (const forwarded of [
    'garbage',
    '999.1.1.1',
    'fe80::1%eth0',
    '1.2.3.4, not-an-ip',
    ', , ,',
    `${'9.'.repeat(3000)}9`,
  ]) {
    requests.push({
      ...json(body),
      label: `X-Forwarded-For: ${forwarded.slice(0, 20)}`,
      headers: { ...json(body).headers, 'x-forwarded-for': forwarded },
    });
  }
  if (route.method === 'GET') {
    for (const query of [
      '?limit=0',
      '?limit=-1',
      '?limit=1e9',
      '?limit=abc',
      '?limit=1&limit=2',
      '?cursor=garbage',
      '?cursor[]=a',
      '?cursor=%00',
      `?cursor=${'c'.repeat(5000)}`,
      '?__proto__[admin]=1',
      '?constructor[prototype][admin]=1',
    ]) {
      requests.push({ label: `query ${query.slice(0, 24)}`, url: `${route.url}${query}` });
    }
  }
  const pathId = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
  if (pathId.test(route.url)) {
    for (const id of [
      'not-a-uuid',
      '%00',
      '..%2F..%2Fme',
      '00000000-0000-0000-0000-000000000000',
      'x'.repeat(5000),
      `${uuidv7()}'--`,
    ]) {
      requests.push({ label: `path id ${id.slice(0, 24)}`, url: route.url.replace(pathId, id) });
    }
  }
  return requests;
}

let h: IdentityHarness;
let sharedToken: string;

beforeAll(async () => {
  h = await startIdentityHarness();
  sharedToken = (await registerUser(h)).accessToken;
}, 60_000);
afterAll(() => h?.close(), 30_000);

async function send(route: Route, request: BadRequest, accessToken: string | undefined) {
  return h.app.inject({
    method: route.method,
    url: request.url ?? route.url,
    headers: { ...(accessToken ? bearer(accessToken) : {}), ...request.headers },
    ...(request.payload !== undefined ? { payload: request.payload } : {}),
  });
}

describe('bad input', () => {
  it.each(routes.map((route) => [`${route.method} ${route.url}`, route] as const))(
    '%s never answers 5xx, and answers every client error as problem+json',
    async (_name, route) => {
      const accessToken =
        route.auth === 'own' ? (await registerUser(h)).accessToken : route.auth ? sharedToken : undefined;
      const failures: string[] = [];
      for (const request of badRequestsFor(route)) {
        // With and without a token: a bad token must not turn bad input into a 5xx either.
        for (const token of route.auth ? [accessToken, undefined] : [undefined]) {
          const response = await send(route, request, token);
          // fastify's router answers an over-long path parameter (414) itself, before the service's
          // error handler, so that one client error is plain JSON.
          const problem =
            response.statusCode < 400 ||
            response.statusCode === 414 ||
            response.headers['content-type']?.toString().startsWith('application/problem+json');
          if (response.statusCode >= 500 || !problem) {
            failures.push(
              `${request.label}${token ? '' : ' (no token)'}: ${response.statusCode} ${response.body.slice(0, 200)}`,
            );
          }
        }
      }
      expect(failures).toEqual([]);
    },
    60_000,
  );

  describe('answers the right client error on every route that takes a body', () => {
    // Admin routes answer 404 to anyone else before looking at the input: they stay hidden.
    const bodyRoutes = routes.filter(
      (route) => route.method !== 'GET' && !route.url.startsWith('/v1/admin/'),
    );
    const cases: [label: string, request: (route: Route) => BadRequest, status: number][] = [
      [
        'malformed JSON',
        () => ({ label: '', payload: '{"broken": ', headers: { 'content-type': 'application/json' } }),
        400,
      ],
      [
        'a __proto__ key',
        () => ({
          label: '',
          payload: '{"__proto__":{"admin":true}}',
          headers: { 'content-type': 'application/json' },
        }),
        400,
      ],
      [
        'a constructor.prototype key',
        () => ({
          label: '',
          payload: '{"constructor":{"prototype":{"admin":true}}}',
          headers: { 'content-type': 'application/json' },
        }),
        400,
      ],
      ['XML', () => ({ label: '', payload: '<a/>', headers: { 'content-type': 'application/xml' } }), 415],
      [
        'a body over 1 MiB',
        (route) => ({ label: '', ...json({ ...route.body, padding: 'x'.repeat(ONE_MIB) }) }),
        413,
      ],
    ];
    it.each(cases)('%s', async (_label, request, status) => {
      const accessToken = (await registerUser(h)).accessToken;
      const answers: Record<string, number> = {};
      for (const route of bodyRoutes)
        answers[`${route.method} ${route.url}`] = (
          await send(route, request(route), route.auth ? accessToken : undefined)
        ).statusCode;
      expect(answers).toEqual(
        Object.fromEntries(bodyRoutes.map((route) => [`${route.method} ${route.url}`, status])),
      );
    });

    it('wrong types and missing fields are 400 validation_failed naming the field', async () => {
      const accessToken = (await registerUser(h)).accessToken;
      for (const route of routes.filter((r) => r.body && !r.url.startsWith('/v1/admin/'))) {
        for (const key of Object.keys(route.body!)) {
          const { [key]: _, ...missing } = route.body!;
          const optional = key === 'name' || key === 'username';
          for (const body of [{ ...route.body, [key]: 42 }, ...(optional ? [] : [missing])]) {
            const response = await send(
              route,
              { label: '', ...json(body) },
              route.auth ? accessToken : undefined,
            );
            expect(response.statusCode, `${route.url} ${JSON.stringify(body)}`).toBe(400);
            expect(response.json()).toMatchObject({
              code: 'validation_failed',
              errors: expect.arrayContaining([expect.objectContaining({ path: `body.${key}` })]),
            });
          }
        }
      }
    });
  });

  it('prototype pollution does not reach the process', async () => {
    await send(
      routes[0]!,
      {
        label: '',
        payload: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
        headers: { 'content-type': 'application/json' },
      },
      undefined,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
