import { requestRpc } from '@conduit/bus';
import { teamMembership } from '@conduit/contracts';
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

// rpc.identity.teams.membership: a user's role in a team as it is now (it follows changes and
// removal at once), and which addresses are the team's members' — nothing for a stranger.

let h: IdentityHarness;
let owner: AuthResult & { email: string };
let member: AuthResult & { email: string };
let stranger: AuthResult & { email: string };
let teamId: string;

const call = (
  method: 'POST' | 'PATCH' | 'DELETE',
  url: string,
  who: { accessToken: string },
  payload?: object,
) => h.app.inject({ method, url, headers: bearer(who.accessToken), ...(payload ? { payload } : {}) });

beforeAll(async () => {
  h = await startIdentityHarness();
  [owner, member, stranger] = await Promise.all([registerUser(h), registerUser(h), registerUser(h)]);
  teamId = (await call('POST', '/v1/teams', owner, { name: 'Metrics' })).json().id;
  const invite = await call('POST', `/v1/teams/${teamId}/invites`, owner, {
    email: member.email,
    role: 'admin',
  });
  expect(invite.statusCode).toBe(201);
  for (let waited = 0; h.mail.to(member.email).length === 0 && waited < 10_000; waited += 50)
    await new Promise((r) => setTimeout(r, 50));
  const token = tokenIn(h.mail.to(member.email).at(-1)!, 'Invite token:');
  expect((await call('POST', '/v1/invites/accept', member, { token })).statusCode).toBe(200);
}, 60_000);
afterAll(() => h?.close());

describe('rpc.identity.teams.membership', () => {
  it("answers a member's role and which addresses are members', without case", async () => {
    const outsider = uniqueEmail();
    const answer = await requestRpc(h.bus, teamMembership, {
      teamId,
      userId: member.user.id,
      emails: [owner.email.toUpperCase(), outsider, stranger.email, member.email],
    });
    expect(answer).toEqual({ role: 'admin', memberEmails: [owner.email.toUpperCase(), member.email] });
    expect(await requestRpc(h.bus, teamMembership, { teamId, userId: owner.user.id, emails: [] })).toEqual({
      role: 'owner',
      memberEmails: [],
    });
  });

  it('tells a stranger nothing of the team', async () => {
    expect(
      await requestRpc(h.bus, teamMembership, { teamId, userId: stranger.user.id, emails: [owner.email] }),
    ).toEqual({ role: null, memberEmails: [] });
  });

  it('follows a change of role and a removal at once', async () => {
    expect(
      (await call('PATCH', `/v1/teams/${teamId}/members/${member.user.id}`, owner, { role: 'member' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await requestRpc(h.bus, teamMembership, { teamId, userId: member.user.id, emails: [] })).role,
    ).toBe('member');
    expect(
      (await call('DELETE', `/v1/teams/${teamId}/members/${member.user.id}`, owner)).statusCode,
    ).toBeLessThan(300);
    expect(
      await requestRpc(h.bus, teamMembership, { teamId, userId: member.user.id, emails: [owner.email] }),
    ).toEqual({ role: null, memberEmails: [] });
  });
});
