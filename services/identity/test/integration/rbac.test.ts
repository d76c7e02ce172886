import { permissions as catalog } from '@conduit/contracts';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthResult,
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
  uniqueEmail,
} from '../fixtures/identity-harness.js';
import { tokenIn } from '../fixtures/smtp-inbox.js';

const PLATFORM_ADMIN_ROLE_ID = '01900000-0000-7000-8000-000000000001';
const adminEmail = uniqueEmail('platform-admin');

type Account = AuthResult & { email: string; password: string };

let h: IdentityHarness;
/** Owns organization A. */
let owner: Account;
/** A plain member of A, acting in A. */
let member: Account;
/** An admin (organization role) of A, acting in A: may see roles, not manage them. */
let orgAdmin: Account;
/** Only in their own organization. */
let stranger: Account;
let platformAdmin: Account;
let orgA: string;

beforeAll(async () => {
  h = await startIdentityHarness({ env: { PLATFORM_ADMIN_EMAILS: adminEmail } });
  [owner, member, orgAdmin, stranger, platformAdmin] = await Promise.all([
    registerUser(h),
    registerUser(h),
    registerUser(h),
    registerUser(h),
    registerUser(h, { email: adminEmail }),
  ]);
  orgA = owner.user.organizationId;
  member = await joinOrganization(owner, member, 'member');
  orgAdmin = await joinOrganization(owner, orgAdmin, 'admin');
}, 60_000);
afterAll(() => h?.close(), 30_000);

const call = (
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  who: { accessToken: string } | null,
  payload?: object,
) =>
  h.app.inject({
    method,
    url,
    headers: { ...(who ? bearer(who.accessToken) : {}), 'user-agent': 'rbac-test/1.0' },
    ...(payload ? { payload } : {}),
  });

/** Refreshes the account's tokens, optionally switching the organization it acts in. */
async function refreshed<T extends AuthResult>(who: T, organizationId?: string): Promise<T> {
  const response = await call('POST', '/v1/auth/refresh', null, {
    refreshToken: who.refreshToken,
    organizationId,
  });
  expect(response.statusCode).toBe(200);
  return { ...who, ...response.json() };
}

/** Invites `invitee` into the owner's organization, accepts with the mailed token, and acts in it. */
async function joinOrganization(
  inviter: Account,
  invitee: Account,
  role: 'member' | 'admin',
): Promise<Account> {
  const organizationId = inviter.user.organizationId;
  const invite = await call('POST', `/v1/organizations/${organizationId}/invites`, inviter, {
    email: invitee.email,
    role,
  });
  expect(invite.statusCode).toBe(201);
  for (let waited = 0; h.mail.to(invitee.email).length === 0 && waited < 5000; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const token = tokenIn(h.mail.to(invitee.email).at(-1)!, 'Invite token:');
  const accepted = await call('POST', '/v1/invites/accept', invitee, { token });
  expect(accepted.statusCode).toBe(200);
  return refreshed(invitee, organizationId);
}

const permsInToken = (who: AuthResult) => (decodeJwt(who.accessToken) as { perms: string[] }).perms;
const livePermissions = async (who: AuthResult) => {
  const response = await call('GET', '/v1/me/permissions', who);
  expect(response.statusCode).toBe(200);
  return response.json() as {
    organizationId: string;
    permissions: string[];
    teams: object;
    platformAdmin: boolean;
  };
};

let roleNames = 0;
/** Creates a role in the owner's organization (or as `who` with the given body). */
async function createRole(who: Account, permissions: string[], extra: object = {}) {
  const response = await call('POST', '/v1/roles', who, {
    name: `role-${++roleNames}`,
    permissions,
    ...extra,
  });
  expect(response.statusCode).toBe(201);
  return response.json() as {
    id: string;
    name: string;
    organizationId: string | null;
    permissions: string[];
  };
}

const outboxFor = (userId: string, subject: string) =>
  h.admin`select payload from identity.outbox where subject = ${subject} and payload->'data'->>'userId' = ${userId}`;
const activitiesFor = (userId: string, type: string) =>
  h.admin`select * from identity.user_account_activities where user_id = ${userId} and type = ${type} order by id`;

describe('GET /v1/permissions', () => {
  it('answers the catalog, with descriptions, to any signed-in user', async () => {
    const response = await call('GET', '/v1/permissions', stranger);
    expect(response.statusCode).toBe(200);
    const items = response.json().items as { name: string; description: string }[];
    expect(items.map((item) => item.name)).toEqual([...catalog].sort());
    for (const item of items) expect(item.description.length).toBeGreaterThan(0);
  });

  it('answers 401 without a token', async () => {
    expect((await call('GET', '/v1/permissions', null)).statusCode).toBe(401);
  });
});

describe('roles', () => {
  describe('happy', () => {
    it('an owner defines a role; members of the organization see it with the platform roles', async () => {
      const created = await call('POST', '/v1/roles', owner, {
        name: 'Bot builders',
        description: 'Build and ship bots',
        permissions: ['bots.write', 'bots.read', 'bots.write'],
      });
      expect(created.statusCode).toBe(201);
      const role = created.json();
      expect(role).toEqual({
        id: expect.any(String),
        organizationId: orgA,
        name: 'Bot builders',
        description: 'Build and ship bots',
        builtIn: false,
        permissions: ['bots.read', 'bots.write'],
        createdAt: expect.any(String),
      });

      for (const who of [owner, member, orgAdmin]) {
        const list = await call('GET', '/v1/roles', who);
        expect(list.statusCode).toBe(200);
        const items = list.json().items as {
          id: string;
          name: string;
          builtIn: boolean;
          permissions: string[];
        }[];
        expect(items.find((item) => item.id === role.id)).toMatchObject({ name: 'Bot builders' });
        const admin = items.find((item) => item.id === PLATFORM_ADMIN_ROLE_ID);
        expect(admin).toMatchObject({ name: 'admin', builtIn: true, organizationId: null });
        expect(admin?.permissions).toHaveLength(catalog.length);
        expect((await call('GET', `/v1/roles/${role.id}`, who)).json()).toEqual(role);
      }
    });

    it('granting a role shows at once in /v1/me/permissions and after a refresh in the token; revoking takes it away', async () => {
      // Members hold every work permission (bots.write included) by their organization role; the
      // role also carries teams.manage, which they lack, so that the grant is visible.
      const role = await createRole(owner, ['bots.write', 'teams.manage']);
      expect(permsInToken(member)).toContain('bots.write');
      expect(permsInToken(member)).not.toContain('teams.manage');
      expect((await livePermissions(member)).permissions).not.toContain('teams.manage');

      const granted = await call('POST', `/v1/roles/${role.id}/users`, owner, { userId: member.user.id });
      expect(granted.statusCode).toBe(201);
      expect(granted.json()).toMatchObject({
        roleId: role.id,
        userId: member.user.id,
        organizationId: orgA,
        grantedBy: owner.user.id,
      });

      const live = await livePermissions(member);
      expect(live).toMatchObject({ organizationId: orgA, platformAdmin: false });
      expect(live.permissions).toEqual(expect.arrayContaining(['bots.write', 'teams.manage']));
      expect(permsInToken(member)).not.toContain('teams.manage');
      member = await refreshed(member);
      expect(permsInToken(member)).toEqual(expect.arrayContaining(['bots.write', 'teams.manage']));

      expect(
        (await outboxFor(member.user.id, 'identity.role.granted')).map((row) => row.payload.data),
      ).toContainEqual({
        roleId: role.id,
        roleName: role.name,
        userId: member.user.id,
        organizationId: orgA,
      });
      const [grantRecord] = await activitiesFor(member.user.id, 'role_granted');
      expect(grantRecord).toMatchObject({
        organization_id: orgA,
        user_agent: 'rbac-test/1.0',
        ip: expect.any(String),
      });
      expect(grantRecord!.metadata).toMatchObject({ roleId: role.id, by: owner.user.id });

      const revoked = await call('DELETE', `/v1/roles/${role.id}/users/${member.user.id}`, owner);
      expect(revoked.statusCode).toBe(204);
      expect((await livePermissions(member)).permissions).not.toContain('teams.manage');
      member = await refreshed(member);
      expect(permsInToken(member)).not.toContain('teams.manage');
      expect(permsInToken(member)).toContain('bots.write');
      expect(await outboxFor(member.user.id, 'identity.role.revoked')).toHaveLength(1);
      expect(await activitiesFor(member.user.id, 'role_revoked')).toHaveLength(1);
    });

    it('changing the permissions of a held role shows at once; the change is recorded for the actor', async () => {
      const role = await createRole(owner, ['bots.read']);
      expect(
        (await call('POST', `/v1/roles/${role.id}/users`, owner, { userId: member.user.id })).statusCode,
      ).toBe(201);
      const changed = await call('PUT', `/v1/roles/${role.id}/permissions`, owner, {
        permissions: ['usage.manage', 'kb.read'],
      });
      expect(changed.statusCode).toBe(200);
      expect(changed.json()).toMatchObject({ id: role.id, permissions: ['kb.read', 'usage.manage'] });
      expect((await call('GET', `/v1/roles/${role.id}`, member)).json().permissions).toEqual([
        'kb.read',
        'usage.manage',
      ]);
      expect((await livePermissions(member)).permissions).toContain('usage.manage');

      const events = await h.admin`select payload from identity.outbox
        where subject = 'identity.role.permissions_changed' and payload->'data'->>'roleId' = ${role.id} order by id`;
      expect(events.at(-1)!.payload.data).toEqual({
        roleId: role.id,
        organizationId: orgA,
        permissions: ['kb.read', 'usage.manage'],
      });
      const records = await activitiesFor(owner.user.id, 'role_permissions_changed');
      expect(records.at(-1)!.metadata).toEqual({
        roleId: role.id,
        roleName: role.name,
        added: ['kb.read', 'usage.manage'],
        removed: ['bots.read'],
      });

      // Deleting the role takes it from its holders.
      expect((await call('DELETE', `/v1/roles/${role.id}`, owner)).statusCode).toBe(204);
      expect((await call('GET', `/v1/roles/${role.id}`, owner)).statusCode).toBe(404);
      expect((await livePermissions(member)).permissions).not.toContain('usage.manage');
      const revokedEvents = await outboxFor(member.user.id, 'identity.role.revoked');
      expect(revokedEvents.map((row) => row.payload.data.roleId)).toContain(role.id);
    });

    it('the platform admin defines platform roles and manages the roles of any organization', async () => {
      const platformRole = await createRole(platformAdmin, ['analytics.read'], { organizationId: null });
      expect(platformRole.organizationId).toBeNull();
      const seen = (await call('GET', '/v1/roles', stranger)).json().items as { id: string }[];
      expect(seen.map((item) => item.id)).toContain(platformRole.id);
      expect(
        (
          await call('POST', `/v1/roles/${platformRole.id}/users`, platformAdmin, {
            userId: stranger.user.id,
          })
        ).statusCode,
      ).toBe(201);

      const orgRole = await createRole(platformAdmin, ['roles.manage'], { organizationId: orgA });
      expect(orgRole.organizationId).toBe(orgA);
      expect(
        (await call('POST', `/v1/roles/${orgRole.id}/users`, platformAdmin, { userId: member.user.id }))
          .statusCode,
      ).toBe(201);
      expect((await livePermissions(member)).permissions).toContain('roles.manage');
      expect(
        (await call('DELETE', `/v1/roles/${orgRole.id}/users/${member.user.id}`, platformAdmin)).statusCode,
      ).toBe(204);
      expect((await livePermissions(member)).permissions).not.toContain('roles.manage');
      expect((await livePermissions(platformAdmin)).platformAdmin).toBe(true);
    });
  });

  describe('error', () => {
    it('refuses to delete or change a built-in role (409)', async () => {
      expect((await call('DELETE', `/v1/roles/${PLATFORM_ADMIN_ROLE_ID}`, platformAdmin)).statusCode).toBe(
        409,
      );
      const put = await call('PUT', `/v1/roles/${PLATFORM_ADMIN_ROLE_ID}/permissions`, platformAdmin, {
        permissions: [],
      });
      expect(put.statusCode).toBe(409);
      expect(put.headers['content-type']).toContain('application/problem+json');
      const admin = (await call('GET', `/v1/roles/${PLATFORM_ADMIN_ROLE_ID}`, owner)).json();
      expect(admin.permissions).toHaveLength(catalog.length);
    });

    it('answers 400 for a permission not in the catalog, naming it', async () => {
      const created = await call('POST', '/v1/roles', owner, {
        name: 'Pilots',
        permissions: ['bots.write', 'bots.fly'],
      });
      expect(created.statusCode).toBe(400);
      expect(created.headers['content-type']).toContain('application/problem+json');
      expect(created.json().detail).toContain('bots.fly');
      const role = await createRole(owner, ['kb.read']);
      expect(
        (await call('PUT', `/v1/roles/${role.id}/permissions`, owner, { permissions: ['kb.delete'] }))
          .statusCode,
      ).toBe(400);
      expect((await call('GET', `/v1/roles/${role.id}`, owner)).json().permissions).toEqual(['kb.read']);
      expect(
        (await call('POST', `/v1/users/${member.user.id}/permissions`, owner, { permission: 'email.burn' }))
          .statusCode,
      ).toBe(400);
    });

    it.each([
      ['no name', { permissions: [] }],
      ['a blank name', { name: '  ', permissions: [] }],
      ['no permissions', { name: 'x' }],
      ['a malformed permission', { name: 'x', permissions: ['DROP TABLE'] }],
      ['an unknown field', { name: 'x', permissions: [], builtIn: true }],
      ['an invalid organization id', { name: 'x', permissions: [], organizationId: 'abc' }],
    ])('POST /v1/roles answers 400 for %s', async (_label, payload) => {
      const response = await call('POST', '/v1/roles', owner, payload);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });

    it('answers 400 for ids that are not uuids', async () => {
      expect((await call('GET', '/v1/roles/not-a-uuid', owner)).statusCode).toBe(400);
      expect(
        (await call('POST', '/v1/users/not-a-uuid/permissions', owner, { permission: 'kb.read' })).statusCode,
      ).toBe(400);
    });

    it('answers 409 for a name the organization uses, and for a role or grant held already', async () => {
      const role = await createRole(owner, []);
      expect((await call('POST', '/v1/roles', owner, { name: role.name, permissions: [] })).statusCode).toBe(
        409,
      );
      expect(
        (await call('POST', `/v1/roles/${role.id}/users`, owner, { userId: member.user.id })).statusCode,
      ).toBe(201);
      expect(
        (await call('POST', `/v1/roles/${role.id}/users`, owner, { userId: member.user.id })).statusCode,
      ).toBe(409);
    });

    it('answers 404 when granting to someone outside the organization, or revoking what is not held', async () => {
      const role = await createRole(owner, ['kb.write']);
      expect(
        (await call('POST', `/v1/roles/${role.id}/users`, owner, { userId: stranger.user.id })).statusCode,
      ).toBe(404);
      expect((await call('DELETE', `/v1/roles/${role.id}/users/${stranger.user.id}`, owner)).statusCode).toBe(
        404,
      );
      expect(
        (await call('POST', `/v1/users/${stranger.user.id}/permissions`, owner, { permission: 'kb.write' }))
          .statusCode,
      ).toBe(404);
      expect(
        (await call('DELETE', `/v1/users/${member.user.id}/permissions/kb.write`, owner)).statusCode,
      ).toBe(404);
    });
  });

  describe('security', () => {
    it("a stranger gets 404 for another organization's role, whatever they try, and does not see it listed", async () => {
      const role = await createRole(owner, ['bots.write']);
      expect((await call('GET', `/v1/roles/${role.id}`, stranger)).statusCode).toBe(404);
      expect(
        (await call('PUT', `/v1/roles/${role.id}/permissions`, stranger, { permissions: [] })).statusCode,
      ).toBe(404);
      expect((await call('DELETE', `/v1/roles/${role.id}`, stranger)).statusCode).toBe(404);
      expect(
        (await call('POST', `/v1/roles/${role.id}/users`, stranger, { userId: stranger.user.id })).statusCode,
      ).toBe(404);
      expect(
        (await call('DELETE', `/v1/roles/${role.id}/users/${member.user.id}`, stranger)).statusCode,
      ).toBe(404);
      expect(
        (await call('POST', '/v1/roles', stranger, { name: 'mine', permissions: [], organizationId: orgA }))
          .statusCode,
      ).toBe(404);
      const listed = (await call('GET', '/v1/roles', stranger)).json().items as { id: string }[];
      expect(listed.map((item) => item.id)).not.toContain(role.id);
      expect((await call('GET', `/v1/roles/${role.id}`, owner)).json().permissions).toEqual(['bots.write']);
    });

    it('a plain member, or an admin of the organization, may see roles but gets 403 when managing them', async () => {
      const role = await createRole(owner, ['bots.write']);
      for (const who of [member, orgAdmin]) {
        expect((await call('GET', `/v1/roles/${role.id}`, who)).statusCode).toBe(200);
        const attempts = [
          await call('POST', '/v1/roles', who, { name: 'sneaky', permissions: ['roles.manage'] }),
          await call('PUT', `/v1/roles/${role.id}/permissions`, who, { permissions: ['roles.manage'] }),
          await call('DELETE', `/v1/roles/${role.id}`, who),
          await call('POST', `/v1/roles/${role.id}/users`, who, { userId: who.user.id }),
          await call('DELETE', `/v1/roles/${role.id}/users/${owner.user.id}`, who),
          await call('POST', `/v1/users/${who.user.id}/permissions`, who, { permission: 'roles.manage' }),
          await call('DELETE', `/v1/users/${owner.user.id}/permissions/bots.write`, who),
          await call('POST', '/v1/roles', who, {
            name: 'platformish',
            permissions: [],
            organizationId: null,
          }),
          await call('DELETE', `/v1/roles/${PLATFORM_ADMIN_ROLE_ID}`, who),
          await call('POST', `/v1/roles/${PLATFORM_ADMIN_ROLE_ID}/users`, who, { userId: who.user.id }),
        ];
        expect(attempts.map((response) => response.statusCode)).toEqual(attempts.map(() => 403));
      }
      expect((await call('GET', `/v1/roles/${role.id}`, owner)).json().permissions).toEqual(['bots.write']);
      expect((await livePermissions(member)).platformAdmin).toBe(false);
      expect((await livePermissions(member)).permissions).not.toContain('roles.manage');
    });

    it('an owner cannot create, change or grant platform roles (403)', async () => {
      expect(
        (await call('POST', '/v1/roles', owner, { name: 'root', permissions: [], organizationId: null }))
          .statusCode,
      ).toBe(403);
      expect(
        (await call('POST', `/v1/roles/${PLATFORM_ADMIN_ROLE_ID}/users`, owner, { userId: owner.user.id }))
          .statusCode,
      ).toBe(403);
      expect((await call('DELETE', `/v1/roles/${PLATFORM_ADMIN_ROLE_ID}`, owner)).statusCode).toBe(403);
      expect((await livePermissions(owner)).platformAdmin).toBe(false);
    });

    it('every route answers 401 without a token', async () => {
      const role = PLATFORM_ADMIN_ROLE_ID;
      const responses = await Promise.all([
        call('GET', '/v1/roles', null),
        call('POST', '/v1/roles', null, { name: 'x', permissions: [] }),
        call('GET', `/v1/roles/${role}`, null),
        call('PUT', `/v1/roles/${role}/permissions`, null, { permissions: [] }),
        call('DELETE', `/v1/roles/${role}`, null),
        call('POST', `/v1/roles/${role}/users`, null, { userId: owner.user.id }),
        call('DELETE', `/v1/roles/${role}/users/${owner.user.id}`, null),
        call('POST', `/v1/users/${owner.user.id}/permissions`, null, { permission: 'kb.read' }),
        call('DELETE', `/v1/users/${owner.user.id}/permissions/kb.read`, null),
        call('GET', '/v1/me/permissions', null),
      ]);
      expect(responses.map((response) => response.statusCode)).toEqual(responses.map(() => 401));
    });
  });
});

describe('direct grants', () => {
  it('show at once in /v1/me/permissions and after a refresh in the token; revoking takes them away', async () => {
    expect((await livePermissions(member)).permissions).not.toContain('org.manage');
    const granted = await call('POST', `/v1/users/${member.user.id}/permissions`, owner, {
      permission: 'org.manage',
    });
    expect(granted.statusCode).toBe(201);
    expect(granted.json()).toMatchObject({
      userId: member.user.id,
      organizationId: orgA,
      permission: 'org.manage',
      grantedBy: owner.user.id,
    });
    expect(
      (await call('POST', `/v1/users/${member.user.id}/permissions`, owner, { permission: 'org.manage' }))
        .statusCode,
    ).toBe(409);

    expect((await livePermissions(member)).permissions).toContain('org.manage');
    expect(permsInToken(member)).not.toContain('org.manage');
    member = await refreshed(member);
    expect(permsInToken(member)).toContain('org.manage');
    expect(
      (await outboxFor(member.user.id, 'identity.permission.granted')).map((row) => row.payload.data),
    ).toContainEqual({
      userId: member.user.id,
      organizationId: orgA,
      permission: 'org.manage',
    });
    expect(await activitiesFor(member.user.id, 'permission_granted')).toHaveLength(1);

    const revoked = await call('DELETE', `/v1/users/${member.user.id}/permissions/org.manage`, owner);
    expect(revoked.statusCode).toBe(204);
    expect((await livePermissions(member)).permissions).not.toContain('org.manage');
    member = await refreshed(member);
    expect(permsInToken(member)).not.toContain('org.manage');
    expect(await outboxFor(member.user.id, 'identity.permission.revoked')).toHaveLength(1);
    const [record] = await activitiesFor(member.user.id, 'permission_revoked');
    expect(record).toMatchObject({ organization_id: orgA, user_agent: 'rbac-test/1.0' });
    expect(record!.metadata).toEqual({ permission: 'org.manage', by: owner.user.id });
  });

  it("apply only in the organization they were granted in (the grantee's own is unaffected)", async () => {
    const granted = await call('POST', `/v1/users/${member.user.id}/permissions`, owner, {
      permission: 'usage.manage',
    });
    expect(granted.statusCode).toBe(201);
    // A stranger granting in their own organization cannot reach a user who is not in it.
    expect(
      (await call('POST', `/v1/users/${member.user.id}/permissions`, stranger, { permission: 'kb.read' }))
        .statusCode,
    ).toBe(404);
    expect(
      (await call('DELETE', `/v1/users/${member.user.id}/permissions/usage.manage`, stranger)).statusCode,
    ).toBe(404);
    expect((await livePermissions(member)).permissions).toContain('usage.manage');
    expect(
      (await call('DELETE', `/v1/users/${member.user.id}/permissions/usage.manage`, owner)).statusCode,
    ).toBe(204);
  });
});

describe('GET /v1/me/permissions', () => {
  it('answers my organization, permissions, teams and platform admin flag', async () => {
    const mine = await livePermissions(stranger);
    expect(mine).toEqual({
      organizationId: stranger.user.organizationId,
      permissions: [...catalog],
      teams: {},
      platformAdmin: false,
    });
    const admin = await livePermissions(platformAdmin);
    expect(admin.platformAdmin).toBe(true);
    expect((decodeJwt(platformAdmin.accessToken) as { adm: boolean }).adm).toBe(true);
  });
});
