import { decodeJwt } from 'jose';
import postgres from 'postgres';
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

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentityHarness();
});
afterAll(() => h?.close());

const call = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  who: { accessToken: string } | null,
  payload?: object,
) =>
  h.app.inject({ method, url, headers: who ? bearer(who.accessToken) : {}, ...(payload ? { payload } : {}) });

async function refreshed(who: AuthResult): Promise<AuthResult> {
  const res = await call('POST', '/v1/auth/refresh', null, { refreshToken: who.refreshToken });
  expect(res.statusCode).toBe(200);
  return { ...who, ...res.json() };
}

/** Invites `invitee` into the team by email and accepts with the mailed token. */
async function joinTeam(
  owner: AuthResult,
  teamId: string,
  invitee: AuthResult & { email: string },
  role: string,
) {
  const invite = await call('POST', `/v1/teams/${teamId}/invites`, owner, { email: invitee.email, role });
  expect(invite.statusCode).toBe(201);
  for (let waited = 0; h.mail.to(invitee.email).length === 0 && waited < 5000; waited += 50)
    await new Promise((r) => setTimeout(r, 50));
  const token = tokenIn(h.mail.to(invitee.email).at(-1)!, 'Invite token:');
  const accepted = await call('POST', '/v1/invites/accept', invitee, { token });
  expect(accepted.statusCode).toBe(200);
  return refreshed(invitee);
}

describe('teams', () => {
  let owner: AuthResult & { email: string };
  let member: AuthResult & { email: string };
  let viewer: AuthResult & { email: string };
  let stranger: AuthResult & { email: string };
  let teamId: string;

  beforeAll(async () => {
    [owner, member, viewer, stranger] = await Promise.all([
      registerUser(h),
      registerUser(h),
      registerUser(h),
      registerUser(h),
    ]);
    const created = await call('POST', '/v1/teams', owner, { name: 'Support Bots' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      name: 'Support Bots',
      myRole: 'owner',
      plan: 'free',
      organizationId: owner.user.organizationId,
    });
    teamId = created.json().id;
    member = { ...member, ...(await joinTeam(owner, teamId, member, 'member')) };
    viewer = { ...viewer, ...(await joinTeam(owner, teamId, viewer, 'viewer')) };
  });

  it('puts memberships and permissions into the access token after a refresh', async () => {
    const claims = decodeJwt(member.accessToken) as {
      teams: Record<string, string>;
      perms: string[];
      org: string;
    };
    expect(claims.teams[teamId]).toBe('member');
    owner = { ...owner, ...(await refreshed(owner)) };
    const ownerClaims = decodeJwt(owner.accessToken) as {
      teams: Record<string, string>;
      perms: string[];
      adm: boolean;
    };
    expect(ownerClaims.teams[teamId]).toBe('owner');
    expect(ownerClaims.perms).toEqual(expect.arrayContaining(['bots.write', 'kb.read', 'roles.manage']));
    expect(ownerClaims.adm).toBe(false);
  });

  it('lists my teams and the members, to members only', async () => {
    expect(
      (await call('GET', '/v1/teams', viewer, undefined))
        .json()
        .items.map((t: { id: string; myRole: string }) => [t.id, t.myRole]),
    ).toEqual([[teamId, 'viewer']]);
    const members = await call('GET', `/v1/teams/${teamId}/members`, viewer);
    expect(
      members
        .json()
        .items.map((m: { role: string }) => m.role)
        .sort(),
    ).toEqual(['member', 'owner', 'viewer']);
    expect((await call('GET', `/v1/teams/${teamId}`, stranger)).statusCode).toBe(404);
    expect((await call('GET', `/v1/teams/${teamId}/members`, stranger)).statusCode).toBe(404);
  });

  it('lets only owners and admins manage members; viewers and members read only', async () => {
    expect(
      (await call('PATCH', `/v1/teams/${teamId}/members/${viewer.user.id}`, member, { role: 'admin' }))
        .statusCode,
    ).toBe(403);
    expect(
      (await call('POST', `/v1/teams/${teamId}/invites`, viewer, { email: uniqueEmail(), role: 'member' }))
        .statusCode,
    ).toBe(403);
    expect((await call('DELETE', `/v1/teams/${teamId}/members/${member.user.id}`, stranger)).statusCode).toBe(
      404,
    );
    const promoted = await call('PATCH', `/v1/teams/${teamId}/members/${member.user.id}`, owner, {
      role: 'admin',
    });
    expect(promoted.json()).toMatchObject({ role: 'admin' });
    // An admin manages members but never owners.
    const asAdmin = await refreshed(member);
    expect(
      (await call('PATCH', `/v1/teams/${teamId}/members/${viewer.user.id}`, asAdmin, { role: 'member' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await call('PATCH', `/v1/teams/${teamId}/members/${owner.user.id}`, asAdmin, { role: 'member' }))
        .statusCode,
    ).toBe(403);
    expect(
      (await call('PATCH', `/v1/teams/${teamId}/members/${viewer.user.id}`, asAdmin, { role: 'owner' }))
        .statusCode,
    ).toBe(403);
    await call('PATCH', `/v1/teams/${teamId}/members/${viewer.user.id}`, owner, { role: 'viewer' });
  });

  it('keeps at least one owner: the last owner can neither be demoted, removed, nor leave', async () => {
    const demote = await call('PATCH', `/v1/teams/${teamId}/members/${owner.user.id}`, owner, {
      role: 'admin',
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().detail).toMatch(/at least one owner/);
    expect((await call('DELETE', `/v1/teams/${teamId}/members/${owner.user.id}`, owner)).statusCode).toBe(
      409,
    );
    expect((await call('POST', `/v1/teams/${teamId}/leave`, owner)).statusCode).toBe(409);
    // With a second owner, the first may step down.
    await call('PATCH', `/v1/teams/${teamId}/members/${member.user.id}`, owner, { role: 'owner' });
    expect(
      (await call('PATCH', `/v1/teams/${teamId}/members/${owner.user.id}`, owner, { role: 'admin' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await call('PATCH', `/v1/teams/${teamId}/members/${owner.user.id}`, member, { role: 'owner' }))
        .statusCode,
    ).toBe(200);
  });

  it('keeps one owner when two owners demote each other at the same time', async () => {
    const [a, b] = await Promise.all([
      call('PATCH', `/v1/teams/${teamId}/members/${member.user.id}`, owner, { role: 'admin' }),
      call('PATCH', `/v1/teams/${teamId}/members/${owner.user.id}`, member, { role: 'admin' }),
    ]);
    // One wins; the other is refused: by the owner rule (409), or because the winner already made
    // its author a mere admin, who may not touch owners (403).
    expect([a.statusCode, b.statusCode].sort()[0]).toBe(200);
    expect([403, 409]).toContain([a.statusCode, b.statusCode].sort()[1]);
    const [row] =
      await h.admin`select count(*)::int as owners from identity.team_members where team_id = ${teamId} and role = 'owner'`;
    expect(row!.owners).toBe(1);
  });

  it('ends the sessions of a removed member, so their refresh token stops working', async () => {
    const someone = await registerUser(h);
    const joined = await joinTeam(owner, teamId, someone, 'member');
    const manager = (
      await h.admin`select user_id from identity.team_members where team_id = ${teamId} and role = 'owner'`
    )[0]!.user_id as string;
    const managerTokens = manager === owner.user.id ? owner : member;
    expect(
      (await call('DELETE', `/v1/teams/${teamId}/members/${someone.user.id}`, managerTokens)).statusCode,
    ).toBe(204);
    expect(
      (await call('POST', '/v1/auth/refresh', null, { refreshToken: joined.refreshToken })).statusCode,
    ).toBe(401);
    const outbox =
      await h.admin`select subject from identity.outbox where payload->'data'->>'userId' = ${someone.user.id} order by created_at`;
    expect(outbox.map((row) => row.subject)).toEqual(
      expect.arrayContaining([
        'identity.team.member_added',
        'identity.team.member_removed',
        'identity.session.revoked',
      ]),
    );
  });

  it('lets a member leave (without ending their sessions)', async () => {
    expect((await call('POST', `/v1/teams/${teamId}/leave`, viewer)).statusCode).toBe(204);
    expect((await call('GET', `/v1/teams/${teamId}`, viewer)).statusCode).toBe(404);
    const after = await refreshed(viewer);
    expect((decodeJwt(after.accessToken) as { teams: Record<string, string> }).teams[teamId]).toBeUndefined();
  });
});

describe('organizations and invites', () => {
  it('creates organizations, shows them to members only, and invites by email', async () => {
    const [ann, bob, eve] = await Promise.all([registerUser(h), registerUser(h), registerUser(h)]);
    const created = await call('POST', '/v1/organizations', ann, { name: 'Acme Robotics' });
    expect(created.statusCode).toBe(201);
    const org = created.json();
    expect(org).toMatchObject({ name: 'Acme Robotics', myRole: 'owner', personal: false });
    expect((await call('GET', `/v1/organizations/${org.id}`, eve)).statusCode).toBe(404);
    expect((await call('POST', '/v1/organizations', ann, { name: 'Dup', slug: org.slug })).statusCode).toBe(
      409,
    );

    const invite = await call('POST', `/v1/organizations/${org.id}/invites`, ann, {
      email: bob.email,
      role: 'member',
    });
    expect(invite.statusCode).toBe(201);
    expect(invite.json()).not.toHaveProperty('token');
    await expect.poll(() => h.mail.to(bob.email).length, { timeout: 5000 }).toBe(1);
    const token = tokenIn(h.mail.to(bob.email)[0]!, 'Invite token:');
    // The invite is Bob's: Eve cannot take it, and a stranger cannot invite.
    expect((await call('POST', '/v1/invites/accept', eve, { token })).statusCode).toBe(404);
    expect(
      (await call('POST', `/v1/organizations/${org.id}/invites`, eve, { email: uniqueEmail() })).statusCode,
    ).toBe(404);
    expect((await call('POST', '/v1/invites/accept', bob, { token })).json()).toEqual({
      organizationId: org.id,
      teamId: null,
    });
    expect((await call('POST', '/v1/invites/accept', bob, { token })).statusCode).toBe(404);

    const members = await call('GET', `/v1/organizations/${org.id}/members`, bob);
    expect(
      members
        .json()
        .items.map((m: { email: string; role: string }) => [m.email, m.role])
        .sort(),
    ).toEqual(
      [
        [ann.email, 'owner'],
        [bob.email, 'member'],
      ].sort(),
    );
    // A member can see but not invite.
    expect(
      (await call('POST', `/v1/organizations/${org.id}/invites`, bob, { email: uniqueEmail() })).statusCode,
    ).toBe(403);

    // Switching the session into the new organization changes the org claim.
    const switched = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: bob.refreshToken, organizationId: org.id },
    });
    expect(switched.statusCode).toBe(200);
    expect(decodeJwt(switched.json().accessToken).org).toBe(org.id);
  });

  it('lets someone register straight into the organization that invited them', async () => {
    const ann = await registerUser(h);
    const email = uniqueEmail('invited');
    await call('POST', `/v1/organizations/${ann.user.organizationId}/invites`, ann, { email, role: 'admin' });
    await expect.poll(() => h.mail.to(email).length, { timeout: 5000 }).toBe(1);
    const inviteToken = tokenIn(h.mail.to(email)[0]!, 'Invite token:');
    expect(
      (
        await h.app.inject({
          method: 'POST',
          url: '/v1/auth/register',
          payload: { email: uniqueEmail(), password: 'correct horse battery staple', inviteToken },
        })
      ).statusCode,
    ).toBe(404);
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email, password: 'correct horse battery staple', inviteToken },
    });
    expect(res.statusCode).toBe(201);
    const registered = res.json();
    expect(registered.user.organizationId).toBe(ann.user.organizationId);
    expect(decodeJwt(registered.accessToken).perms).toEqual(
      expect.arrayContaining(['org.manage', 'teams.manage']),
    );
  });
});

describe('row-level security of team rows on one pooled connection', () => {
  it('shows each user only their teams and memberships, and leaks no actor between transactions', async () => {
    const [a, b] = await Promise.all([registerUser(h), registerUser(h)]);
    const teamA = (await call('POST', '/v1/teams', a, { name: 'Team A' })).json().id as string;
    const teamB = (await call('POST', '/v1/teams', b, { name: 'Team B' })).json().id as string;
    const sql = postgres(h.database.appUrl, { max: 1, onnotice: () => {} });
    try {
      const seenBy = (userId: string) =>
        sql.begin(async (tx) => {
          await tx`select set_config('app.user_id', ${userId}, true)`;
          const teams = await tx`select id from identity.teams order by id`;
          const members = await tx`select team_id from identity.team_members order by team_id`;
          const subscriptions =
            await tx`select subject_id from identity.user_subscriptions where subject_type = 'team'`;
          return {
            teams: teams.map((r) => r.id),
            members: members.map((r) => r.team_id),
            subscriptions: subscriptions.map((r) => r.subject_id),
          };
        });
      expect(await seenBy(a.user.id)).toEqual({ teams: [teamA], members: [teamA], subscriptions: [teamA] });
      expect(await seenBy(b.user.id)).toEqual({ teams: [teamB], members: [teamB], subscriptions: [teamB] });
      const [leftover] = await sql`select current_setting('app.user_id', true) as user_id`;
      expect(leftover!.user_id ?? '').toBe('');
      expect(await sql`select id from identity.teams`).toEqual([]);
      await expect(
        sql.begin(async (tx) => {
          await tx`select set_config('app.user_id', ${b.user.id}, true)`;
          await tx`insert into identity.team_members (team_id, user_id, role) values (${teamA}, ${b.user.id}, 'owner')`;
        }),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await sql.end();
    }
  });
});
