import { unrefusedCursors, walkPages } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthResult,
  bearer,
  type IdentityHarness,
  loginUser,
  registerUser,
  startIdentityHarness,
  uniqueEmail,
} from '../fixtures/identity-harness.js';

// Every list route of identity, read two items at a time from the first page to the last, against
// the same rows read in order straight from Postgres.

const adminEmail = uniqueEmail('paging-admin');
type Account = AuthResult & { email: string; password: string };

let h: IdentityHarness;
let owner: Account;
let platformAdmin: Account;
let organizationId: string;
let teamId: string;

const get = (url: string, who: AuthResult) =>
  h.app.inject({ method: 'GET', url, headers: bearer(who.accessToken) });
const post = async (url: string, who: AuthResult, payload: object) => {
  const response = await h.app.inject({ method: 'POST', url, headers: bearer(who.accessToken), payload });
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as { id: string };
};

beforeAll(async () => {
  h = await startIdentityHarness({ env: { PLATFORM_ADMIN_EMAILS: adminEmail } });
  let members: Account[];
  [owner, platformAdmin, ...members] = await Promise.all([
    registerUser(h),
    registerUser(h, { email: adminEmail }),
    registerUser(h),
    registerUser(h),
    registerUser(h),
  ]);
  organizationId = owner.user.organizationId!;
  // Three more devices, organizations, teams and roles (names out of order) than a new account has.
  for (let i = 0; i < 3; i++) await loginUser(h, owner);
  for (const name of ['Gamma', 'Alpha', 'Beta']) await post('/v1/organizations', owner, { name });
  for (const name of ['Ops', 'Dev', 'Sales']) teamId = (await post('/v1/teams', owner, { name })).id;
  for (const name of ['zeta', 'Alpha', 'mid'])
    await post('/v1/roles', owner, { name, permissions: ['bots.read'] });
  // Members added in one statement share their joining time to the microsecond: only the user id
  // tells them apart, which is what the cursor must carry.
  const memberIds = members.map((member) => member.user.id);
  await h.admin`insert into identity.organization_members (organization_id, user_id, role)
    select ${organizationId}, unnest(${memberIds}::uuid[]), 'member'`;
  await h.admin`insert into identity.team_members (team_id, user_id, role)
    select ${teamId}, unnest(${memberIds}::uuid[]), 'member'`;
  for (const amount of [5, 7, 9])
    await post(`/v1/admin/users/${owner.user.id}/credits`, platformAdmin, { amount, reason: 'paging' });
}, 120_000);
afterAll(() => h?.close(), 30_000);

interface ListCase {
  path: string;
  who: () => Account;
  /** What the item is known by in the list. */
  idOf: (item: Record<string, unknown>) => unknown;
  /** The same rows, in the list's order, read as the owner of the database. */
  expected: () => Promise<string[]>;
}

const ids = async (rows: Promise<{ id: string }[]>) => (await rows).map((row) => row.id);

const lists: ListCase[] = [
  {
    path: '/v1/me/activity',
    who: () => owner,
    idOf: (item) => item.id,
    expected: () =>
      ids(h.admin`select id from identity.user_account_activities where user_id = ${owner.user.id}
        order by id desc`),
  },
  {
    path: '/v1/admin/activity',
    who: () => platformAdmin,
    idOf: (item) => item.id,
    expected: () => ids(h.admin`select id from identity.user_account_activities order by id desc`),
  },
  {
    path: '/v1/auth/sessions',
    who: () => owner,
    idOf: (item) => item.id,
    expected: () =>
      ids(h.admin`select id from identity.user_sessions where user_id = ${owner.user.id}
        and revoked_at is null and expires_at > now() order by id desc`),
  },
  {
    path: '/v1/organizations',
    who: () => owner,
    idOf: (item) => item.id,
    expected: () =>
      ids(h.admin`select o.id from identity.organizations o
        join identity.organization_members m on m.organization_id = o.id
        where m.user_id = ${owner.user.id} order by o.created_at, o.id`),
  },
  {
    path: '/v1/organizations/{organizationId}/members',
    who: () => owner,
    idOf: (item) => item.userId,
    expected: () =>
      ids(h.admin`select user_id as id from identity.organization_members
        where organization_id = ${organizationId} order by joined_at, user_id`),
  },
  {
    path: '/v1/teams',
    who: () => owner,
    idOf: (item) => item.id,
    expected: () =>
      ids(h.admin`select t.id from identity.teams t join identity.team_members m on m.team_id = t.id
        where m.user_id = ${owner.user.id} order by t.created_at, t.id`),
  },
  {
    path: '/v1/teams/{teamId}/members',
    who: () => owner,
    idOf: (item) => item.userId,
    expected: () =>
      ids(h.admin`select user_id as id from identity.team_members where team_id = ${teamId}
        order by joined_at, user_id`),
  },
  {
    path: '/v1/me/credits',
    who: () => owner,
    idOf: (item) => item.id,
    expected: () =>
      ids(h.admin`select id from identity.credit_ledger where subject_type = 'user' and subject_id = ${owner.user.id}
        order by id desc`),
  },
  {
    path: '/v1/roles',
    who: () => owner,
    idOf: (item) => item.id,
    expected: () =>
      ids(h.admin`select id from identity.roles
        where organization_id is null or organization_id = ${organizationId}
        order by organization_id is null, name, id`),
  },
];

const urlOf = (path: string) => path.replace('{organizationId}', organizationId).replace('{teamId}', teamId);

describe('every list of identity pages with an opaque cursor', () => {
  it.each(lists)('GET $path: every item once, in order, two at a time', async (list) => {
    const url = urlOf(list.path);
    const walked = await walkPages<Record<string, unknown>>((query) => get(`${url}?${query}`, list.who()), 2);
    const expected = await list.expected();
    expect(expected.length).toBeGreaterThan(2);
    expect(walked.map(list.idOf)).toEqual(expected);
  });

  it.each(lists)('GET $path: a malformed or tampered cursor is a 400 problem', async (list) => {
    const url = urlOf(list.path);
    const first = await get(`${url}?limit=1`, list.who());
    const real = first.json().nextCursor as string;
    expect(real).toEqual(expect.any(String));
    expect(await unrefusedCursors((query) => get(`${url}?${query}`, list.who()), real)).toEqual([]);
  });

  it('a cursor of one list is refused by a list with another sort key', async () => {
    const organizations = (await get('/v1/organizations?limit=1', owner)).json().nextCursor as string;
    const refused = await get(`/v1/auth/sessions?cursor=${organizations}`, owner);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe('bad_request');
  });
});
