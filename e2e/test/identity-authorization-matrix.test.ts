import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  type AuthResult,
  type IdentityHarness,
  registerUser,
  STRONG_PASSWORD,
  startIdentityHarness,
  uniqueEmail,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Every identity route, through the gateway, for every kind of caller. Kept as data: a row is a
 * route, the expected status for each caller, and how to build the request (fresh targets where a
 * call changes state, so rows do not depend on each other). Strangers get 404 for what they may not
 * know exists; members who may see but not change get 403.
 */
const callers = ['anonymous', 'owner', 'admin', 'member', 'viewer', 'stranger', 'platformAdmin'] as const;
type Caller = (typeof callers)[number];
type Expectation = Record<Caller, number>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Row {
  route: `${Method} ${string}`;
  expect: Expectation;
  /** Builds the request for one caller: the concrete path and body (fresh targets when needed). */
  request(caller: Caller, ctx: Context): Promise<Built> | Built;
}

/** A concrete request; `token` overrides the caller's usual access token. */
interface Built {
  path: string;
  body?: unknown;
  token?: string | undefined;
}

interface Context {
  tokens: Record<Exclude<Caller, 'anonymous'>, AuthResult & { email: string }>;
  organizationId: string;
  teamId: string;
  /** A fresh member of the organization (not in any team). */
  freshOrganizationMember(): Promise<AuthResult & { email: string }>;
  /** A fresh member of the team. */
  freshTeamMember(): Promise<AuthResult & { email: string }>;
  /** A fresh team of the organization where owner, admin, member and viewer hold those roles. */
  freshTeam(): Promise<string>;
  /** A fresh session of the caller, other than the one making the request. */
  otherSession(caller: Caller): Promise<string>;
  /** The access token of a fresh session of the caller. */
  freshSessionToken(caller: Caller): Promise<string>;
  /** A role of the organization, made by its owner. */
  roleId: string;
  /** A fresh role of the organization, granted to `holder` when given. */
  freshRole(holder?: string): Promise<string>;
  /** A fresh member of the organization holding a direct grant of `permission`; returns their id. */
  freshDirectGrant(permission: string): Promise<string>;
}

const same = (status: number, anonymous = 401): Expectation => ({
  anonymous,
  owner: status,
  admin: status,
  member: status,
  viewer: status,
  stranger: status,
  platformAdmin: status,
});
const byRole = (e: Partial<Expectation> & { owner: number; stranger: number }): Expectation => ({
  anonymous: 401,
  admin: e.owner,
  member: e.owner,
  viewer: e.owner,
  platformAdmin: e.owner,
  ...e,
});

const rows: Row[] = [
  // Public routes: every caller is treated the same.
  {
    route: 'POST /v1/auth/register',
    expect: same(201, 201),
    request: () => ({
      path: '/v1/auth/register',
      body: { email: uniqueEmail('m'), password: STRONG_PASSWORD },
    }),
  },
  {
    route: 'POST /v1/auth/login',
    expect: same(401, 401),
    request: () => ({
      path: '/v1/auth/login',
      body: { email: uniqueEmail('m'), password: 'not the password' },
    }),
  },
  {
    route: 'POST /v1/auth/refresh',
    expect: same(401, 401),
    request: () => ({ path: '/v1/auth/refresh', body: { refreshToken: 'x'.repeat(43) } }),
  },
  {
    route: 'POST /v1/auth/password-reset',
    expect: same(202, 202),
    request: () => ({ path: '/v1/auth/password-reset', body: { email: uniqueEmail('m') } }),
  },
  {
    route: 'POST /v1/auth/password-reset/confirm',
    expect: same(400, 400),
    request: () => ({
      path: '/v1/auth/password-reset/confirm',
      body: { token: 'x'.repeat(43), password: STRONG_PASSWORD },
    }),
  },
  {
    route: 'POST /v1/auth/login-token',
    expect: same(202, 202),
    request: () => ({ path: '/v1/auth/login-token', body: { email: uniqueEmail('m') } }),
  },
  {
    route: 'POST /v1/auth/login-token/redeem',
    expect: same(401, 401),
    request: () => ({ path: '/v1/auth/login-token/redeem', body: { token: 'x'.repeat(43) } }),
  },
  {
    route: 'GET /.well-known/jwks.json',
    expect: same(200, 200),
    request: () => ({ path: '/.well-known/jwks.json' }),
  },

  // My own account: any signed-in caller.
  { route: 'GET /v1/me', expect: same(200), request: () => ({ path: '/v1/me' }) },
  {
    route: 'PATCH /v1/me',
    expect: same(200),
    request: () => ({ path: '/v1/me', body: { name: 'Renamed' } }),
  },
  { route: 'GET /v1/me/preferences', expect: same(200), request: () => ({ path: '/v1/me/preferences' }) },
  {
    route: 'PUT /v1/me/preferences',
    expect: same(200),
    request: () => ({ path: '/v1/me/preferences', body: { preferences: { theme: 'dark' } } }),
  },
  { route: 'GET /v1/auth/sessions', expect: same(200), request: () => ({ path: '/v1/auth/sessions' }) },
  {
    route: 'POST /v1/auth/logout',
    expect: same(204),
    // Each caller signs out a session of its own made for the purpose, keeping the shared one.
    request: async (caller, ctx) => ({
      path: '/v1/auth/logout',
      token: caller === 'anonymous' ? undefined : await ctx.freshSessionToken(caller),
    }),
  },
  {
    route: 'DELETE /v1/auth/sessions/:id',
    expect: same(204),
    request: async (caller, ctx) => ({
      path: `/v1/auth/sessions/${caller === 'anonymous' ? crypto.randomUUID() : await ctx.otherSession(caller)}`,
    }),
  },
  {
    // Somebody else's session: indistinguishable from one that does not exist.
    route: 'DELETE /v1/auth/sessions/:id',
    expect: same(404),
    request: async (caller, ctx) => ({
      path: `/v1/auth/sessions/${await ctx.otherSession(caller === 'owner' ? 'stranger' : 'owner')}`,
    }),
  },

  // Organizations.
  {
    route: 'POST /v1/organizations',
    expect: same(201),
    request: () => ({ path: '/v1/organizations', body: { name: 'Another Org' } }),
  },
  { route: 'GET /v1/organizations', expect: same(200), request: () => ({ path: '/v1/organizations' }) },
  {
    route: 'GET /v1/organizations/:id',
    expect: byRole({ owner: 200, stranger: 404 }),
    request: (_c, ctx) => ({ path: `/v1/organizations/${ctx.organizationId}` }),
  },
  {
    route: 'GET /v1/organizations/:id/members',
    expect: byRole({ owner: 200, stranger: 404 }),
    request: (_c, ctx) => ({ path: `/v1/organizations/${ctx.organizationId}/members` }),
  },
  {
    // Team admins are plain members of the organization: they see it but do not invite into it.
    route: 'POST /v1/organizations/:id/invites',
    expect: byRole({ owner: 201, admin: 403, member: 403, viewer: 403, stranger: 404 }),
    request: (_c, ctx) => ({
      path: `/v1/organizations/${ctx.organizationId}/invites`,
      body: { email: uniqueEmail('inv'), role: 'member' },
    }),
  },
  {
    route: 'POST /v1/invites/accept',
    expect: same(404),
    request: () => ({ path: '/v1/invites/accept', body: { token: 'x'.repeat(43) } }),
  },

  // Teams.
  {
    route: 'POST /v1/teams',
    expect: same(201),
    request: () => ({ path: '/v1/teams', body: { name: 'Fresh Team' } }),
  },
  { route: 'GET /v1/teams', expect: same(200), request: () => ({ path: '/v1/teams' }) },
  {
    route: 'GET /v1/teams/:id',
    expect: byRole({ owner: 200, stranger: 404 }),
    request: (_c, ctx) => ({ path: `/v1/teams/${ctx.teamId}` }),
  },
  {
    route: 'GET /v1/teams/:id/members',
    expect: byRole({ owner: 200, stranger: 404 }),
    request: (_c, ctx) => ({ path: `/v1/teams/${ctx.teamId}/members` }),
  },
  {
    route: 'POST /v1/teams/:id/members',
    expect: byRole({ owner: 201, member: 403, viewer: 403, stranger: 404 }),
    request: async (_c, ctx) => ({
      path: `/v1/teams/${ctx.teamId}/members`,
      body: { email: (await ctx.freshOrganizationMember()).email, role: 'member' },
    }),
  },
  {
    route: 'POST /v1/teams/:id/invites',
    expect: byRole({ owner: 201, member: 403, viewer: 403, stranger: 404 }),
    request: (_c, ctx) => ({
      path: `/v1/teams/${ctx.teamId}/invites`,
      body: { email: uniqueEmail('inv'), role: 'viewer' },
    }),
  },
  {
    route: 'PATCH /v1/teams/:id/members/:userId',
    expect: byRole({ owner: 200, member: 403, viewer: 403, stranger: 404 }),
    request: async (_c, ctx) => ({
      path: `/v1/teams/${ctx.teamId}/members/${(await ctx.freshTeamMember()).user.id}`,
      body: { role: 'viewer' },
    }),
  },
  {
    route: 'DELETE /v1/teams/:id/members/:userId',
    expect: byRole({ owner: 204, member: 403, viewer: 403, stranger: 404 }),
    request: async (_c, ctx) => ({
      path: `/v1/teams/${ctx.teamId}/members/${(await ctx.freshTeamMember()).user.id}`,
    }),
  },
  {
    // The owner is the team's only owner; the platform admin is not in the team.
    route: 'POST /v1/teams/:id/leave',
    expect: byRole({ owner: 409, admin: 204, member: 204, viewer: 204, stranger: 404, platformAdmin: 404 }),
    request: async (_c, ctx) => ({ path: `/v1/teams/${await ctx.freshTeam()}/leave` }),
  },

  // Roles and permissions: the organization's owner (and the platform admin) manage; members see.
  { route: 'GET /v1/permissions', expect: same(200), request: () => ({ path: '/v1/permissions' }) },
  { route: 'GET /v1/me/permissions', expect: same(200), request: () => ({ path: '/v1/me/permissions' }) },
  { route: 'GET /v1/roles', expect: same(200), request: () => ({ path: '/v1/roles' }) },
  {
    route: 'GET /v1/roles/:id',
    expect: byRole({ owner: 200, stranger: 404 }),
    request: (_c, ctx) => ({ path: `/v1/roles/${ctx.roleId}` }),
  },
  {
    // In the caller's current organization: team folks act in the owner's, the others in their own.
    route: 'POST /v1/roles',
    expect: {
      anonymous: 401,
      owner: 201,
      admin: 403,
      member: 403,
      viewer: 403,
      stranger: 201,
      platformAdmin: 201,
    },
    request: () => ({
      path: '/v1/roles',
      body: { name: `role-${crypto.randomUUID().slice(0, 8)}`, permissions: ['bots.read'] },
    }),
  },
  {
    route: 'PUT /v1/roles/:id/permissions',
    expect: byRole({ owner: 200, admin: 403, member: 403, viewer: 403, stranger: 404 }),
    request: (_c, ctx) => ({
      path: `/v1/roles/${ctx.roleId}/permissions`,
      body: { permissions: ['bots.read', 'kb.read'] },
    }),
  },
  {
    route: 'DELETE /v1/roles/:id',
    expect: byRole({ owner: 204, admin: 403, member: 403, viewer: 403, stranger: 404 }),
    request: async (_c, ctx) => ({ path: `/v1/roles/${await ctx.freshRole()}` }),
  },
  {
    route: 'POST /v1/roles/:id/users',
    expect: byRole({ owner: 201, admin: 403, member: 403, viewer: 403, stranger: 404 }),
    request: async (_c, ctx) => ({
      path: `/v1/roles/${await ctx.freshRole()}/users`,
      body: { userId: ctx.tokens.member.user.id },
    }),
  },
  {
    route: 'DELETE /v1/roles/:id/users/:userId',
    expect: byRole({ owner: 204, admin: 403, member: 403, viewer: 403, stranger: 404 }),
    request: async (_c, ctx) => {
      const roleId = await ctx.freshRole(ctx.tokens.member.user.id);
      return { path: `/v1/roles/${roleId}/users/${ctx.tokens.member.user.id}` };
    },
  },
  {
    // Direct grants in the caller's current organization: the target is in the owner's.
    route: 'POST /v1/users/:userId/permissions',
    expect: {
      anonymous: 401,
      owner: 201,
      admin: 403,
      member: 403,
      viewer: 403,
      stranger: 404,
      platformAdmin: 404,
    },
    request: async (_c, ctx) => ({
      path: `/v1/users/${(await ctx.freshOrganizationMember()).user.id}/permissions`,
      body: { permission: 'kb.write' },
    }),
  },
  {
    route: 'DELETE /v1/users/:userId/permissions/:permission',
    expect: {
      anonymous: 401,
      owner: 204,
      admin: 403,
      member: 403,
      viewer: 403,
      stranger: 404,
      platformAdmin: 404,
    },
    request: async (_c, ctx) => ({
      path: `/v1/users/${await ctx.freshDirectGrant('kb.write')}/permissions/kb.write`,
    }),
  },

  // The audit trail.
  { route: 'GET /v1/me/activity', expect: same(200), request: () => ({ path: '/v1/me/activity' }) },
  {
    route: 'GET /v1/admin/activity',
    expect: { ...same(403), platformAdmin: 200 },
    request: (_c, ctx) => ({ path: `/v1/admin/activity?userId=${ctx.tokens.owner.user.id}` }),
  },

  // Plans and usage.
  { route: 'GET /v1/plans', expect: same(200), request: () => ({ path: '/v1/plans' }) },
  { route: 'GET /v1/me/subscription', expect: same(200), request: () => ({ path: '/v1/me/subscription' }) },
  {
    route: 'GET /v1/teams/:id/subscription',
    expect: byRole({ owner: 200, stranger: 404 }),
    request: (_c, ctx) => ({ path: `/v1/teams/${ctx.teamId}/subscription` }),
  },
  {
    route: 'PUT /v1/admin/subscriptions/:subjectType/:subjectId',
    expect: { ...same(403), platformAdmin: 200 },
    request: (_c, ctx) => ({ path: `/v1/admin/subscriptions/team/${ctx.teamId}`, body: { planId: 'pro' } }),
  },

  // Profiles and AI credits: anyone's own profile; only platform admins top up (403 to others).
  { route: 'GET /v1/me/profile', expect: same(200), request: () => ({ path: '/v1/me/profile' }) },
  {
    route: 'PATCH /v1/me/profile',
    expect: same(200),
    request: () => ({ path: '/v1/me/profile', body: { displayName: 'Matrix' } }),
  },
  { route: 'GET /v1/me/credits', expect: same(200), request: () => ({ path: '/v1/me/credits' }) },
  {
    route: 'POST /v1/admin/users/:id/credits',
    expect: { ...same(403), platformAdmin: 201 },
    request: (_c, ctx) => ({
      path: `/v1/admin/users/${ctx.tokens.owner.user.id}/credits`,
      body: { amount: 5, reason: 'matrix' },
    }),
  },
  {
    route: 'POST /v1/admin/teams/:id/credits',
    expect: { ...same(403), platformAdmin: 201 },
    request: (_c, ctx) => ({
      path: `/v1/admin/teams/${ctx.teamId}/credits`,
      body: { amount: 5, reason: 'matrix' },
    }),
  },

  // Global settings: the public ones to anyone; all of them to platform admins only.
  {
    route: 'GET /v1/settings/public',
    expect: same(200, 200),
    request: () => ({ path: '/v1/settings/public' }),
  },
  {
    route: 'GET /v1/admin/settings',
    expect: { ...same(403), platformAdmin: 200 },
    request: () => ({ path: '/v1/admin/settings' }),
  },
  {
    route: 'PUT /v1/admin/settings',
    expect: { ...same(403), platformAdmin: 200 },
    // The settings as they are: the row checks who may change them without closing sign-up.
    request: () => ({
      path: '/v1/admin/settings',
      body: { siteName: 'Conduit', defaultPlan: 'free', signUpOpen: true, defaultModel: null },
    }),
  },
];

let identity: IdentityHarness;
let gateway: GatewayHarness;
const adminEmail = uniqueEmail('platform-admin');
let ctx: Context;

const call = (method: Method, path: string, token: string | undefined, body?: unknown) =>
  fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  identity = await startIdentityHarness({
    env: {
      PLATFORM_ADMIN_EMAILS: adminEmail,
      LOGIN_FAILURES_PER_IP: '100000',
      LOGIN_FAILURES_PER_ACCOUNT: '100000',
    },
  });
  gateway = await startGateway({
    IDENTITY_URL: await identity.app.listen({ port: 0, host: '127.0.0.1' }),
    RATE_LIMIT_MAX: '100000',
    AUTH_RATE_LIMIT_MAX: '100000',
  });
  const [owner, admin, member, viewer, stranger, platformAdmin] = await Promise.all([
    registerUser(identity),
    registerUser(identity),
    registerUser(identity),
    registerUser(identity),
    registerUser(identity),
    registerUser(identity, { email: adminEmail }),
  ]);
  const organizationId = owner!.user.organizationId;
  const joinOrganization = (userId: string) =>
    identity.admin`insert into identity.organization_members (organization_id, user_id, role) values (${organizationId}, ${userId}, 'member')`;
  await Promise.all([admin, member, viewer].map((user) => joinOrganization(user!.user.id)));
  const asOwner = { accessToken: owner!.accessToken };
  const addToTeam = async (teamId: string, email: string, role: string) => {
    const res = await call('POST', `/v1/teams/${teamId}/members`, asOwner.accessToken, { email, role });
    if (res.status !== 201) throw new Error(`adding ${role}: ${res.status} ${await res.text()}`);
  };
  const freshTeam = async () => {
    const res = await call('POST', '/v1/teams', asOwner.accessToken, { name: 'Matrix Team' });
    const teamId = ((await res.json()) as { id: string }).id;
    await addToTeam(teamId, admin!.email, 'admin');
    await addToTeam(teamId, member!.email, 'member');
    await addToTeam(teamId, viewer!.email, 'viewer');
    return teamId;
  };
  const teamId = await freshTeam();
  // Team members act in the team's organization (their token's org), as they would in the app.
  const inOrganization = async (user: AuthResult & { email: string }) => {
    const res = await call('POST', '/v1/auth/refresh', undefined, {
      refreshToken: user.refreshToken,
      organizationId,
    });
    return { ...user, ...((await res.json()) as AuthResult) };
  };
  const tokens = {
    owner: owner!,
    admin: await inOrganization(admin!),
    member: await inOrganization(member!),
    viewer: await inOrganization(viewer!),
    stranger: stranger!,
    platformAdmin: platformAdmin!,
  };
  const freshRole = async (holder?: string) => {
    const res = await call('POST', '/v1/roles', owner!.accessToken, {
      name: `role-${crypto.randomUUID().slice(0, 8)}`,
      permissions: ['bots.read'],
    });
    const roleId = ((await res.json()) as { id: string }).id;
    if (holder) await call('POST', `/v1/roles/${roleId}/users`, owner!.accessToken, { userId: holder });
    return roleId;
  };
  ctx = {
    tokens,
    organizationId,
    teamId,
    freshTeam,
    freshRole,
    roleId: await freshRole(),
    async freshDirectGrant(permission) {
      const user = await this.freshOrganizationMember();
      await call('POST', `/v1/users/${user.user.id}/permissions`, owner!.accessToken, { permission });
      return user.user.id;
    },
    async freshOrganizationMember() {
      const user = await registerUser(identity);
      await joinOrganization(user.user.id);
      return user;
    },
    async freshTeamMember() {
      const user = await this.freshOrganizationMember();
      await addToTeam(teamId, user.email, 'member');
      return user;
    },
    async freshSessionToken(caller) {
      const who = tokens[caller as Exclude<Caller, 'anonymous'>];
      const res = await call('POST', '/v1/auth/login', undefined, {
        email: who.email,
        password: STRONG_PASSWORD,
      });
      return ((await res.json()) as AuthResult).accessToken;
    },
    async otherSession(caller) {
      const sessions = await call('GET', '/v1/auth/sessions?limit=100', await this.freshSessionToken(caller));
      const items = ((await sessions.json()) as { items: { id: string; current: boolean }[] }).items;
      return items.find((session) => session.current)!.id;
    },
  };
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await identity?.close();
});

describe('authorization matrix of identity, through the gateway', () => {
  it('covers every route identity documents', async () => {
    const doc = (await identity.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect([...new Set(rows.map((row) => row.route))].sort()).toEqual(documented.sort());
  });

  for (const row of rows) {
    it(`${row.route}`, async () => {
      const [method, template] = row.route.split(' ') as [Method, string];
      const seen: Partial<Expectation> = {};
      for (const caller of callers) {
        const built = await row.request(caller, ctx);
        const { path, body } = built;
        const token =
          'token' in built
            ? built.token
            : caller === 'anonymous'
              ? undefined
              : ctx.tokens[caller].accessToken;
        const res = await call(method, path, token, body);
        seen[caller] = res.status;
        if (res.status >= 400)
          expect(res.headers.get('content-type'), `${caller} ${template}`).toMatch(/problem\+json/);
      }
      expect(seen).toEqual(row.expect);
    });
  }
});
