import { runtimeUrl } from '@conduit/db';
import postgres from 'postgres';
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
import { tokenIn } from '../fixtures/smtp-inbox.js';

const adminEmail = uniqueEmail('audit-admin');
const UA = 'activity-test/2.0 (audit)';

type Account = AuthResult & { email: string; password: string };
interface ActivityItem {
  id: string;
  userId: string;
  organizationId: string | null;
  type: string;
  ip: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
}

let h: IdentityHarness;
/** identity's runtime role, as the service connects: row-level security and its grants apply. */
let runtime: postgres.Sql;
let platformAdmin: Account;

beforeAll(async () => {
  h = await startIdentityHarness({ env: { PLATFORM_ADMIN_EMAILS: adminEmail } });
  runtime = postgres(runtimeUrl(h.database.adminUrl, 'identity'), { max: 1, onnotice: () => {} });
  platformAdmin = await registerUser(h, { email: adminEmail, userAgent: UA });
}, 60_000);
afterAll(async () => {
  await runtime?.end({ timeout: 5 });
  await h?.close();
}, 30_000);

const call = (
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  who: { accessToken: string } | null,
  payload?: object,
) =>
  h.app.inject({
    method,
    url,
    headers: { ...(who ? bearer(who.accessToken) : {}), 'user-agent': UA },
    ...(payload ? { payload } : {}),
  });

async function myActivity(
  who: AuthResult,
  query = '',
): Promise<{ items: ActivityItem[]; nextCursor: string | null }> {
  const response = await call('GET', `/v1/me/activity${query}`, who);
  expect(response.statusCode).toBe(200);
  return response.json();
}

/** Every record of mine, newest first, following the cursor. */
async function wholeTrail(who: AuthResult): Promise<ActivityItem[]> {
  const all: ActivityItem[] = [];
  let cursor: string | null = null;
  do {
    const page = await myActivity(who, `?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

async function mailTo(address: string, count: number, label: string): Promise<string> {
  for (let waited = 0; h.mail.to(address).length < count && waited < 5000; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return tokenIn(h.mail.to(address).at(-1)!, label);
}

describe('the audit trail', () => {
  describe('happy', () => {
    it('records login, failed login, logout and a password change by reset, with IP and user agent', async () => {
      const account = await registerUser(h, { userAgent: UA });
      const failed = await h.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        headers: { 'user-agent': UA },
        payload: { email: account.email, password: 'not the right password at all' },
      });
      expect(failed.statusCode).toBe(401);
      const session = await loginUser(h, { email: account.email, password: account.password, userAgent: UA });
      expect((await call('POST', '/v1/auth/logout', session)).statusCode).toBe(204);

      expect((await call('POST', '/v1/auth/password-reset', null, { email: account.email })).statusCode).toBe(
        202,
      );
      const token = await mailTo(account.email, 1, 'Reset token:');
      const password = 'a brand new and long passphrase';
      expect(
        (await call('POST', '/v1/auth/password-reset/confirm', null, { token, password })).statusCode,
      ).toBe(204);
      const after = await loginUser(h, { email: account.email, password, userAgent: UA });

      const trail = await wholeTrail(after);
      const types = trail.map((item) => item.type);
      for (const type of [
        'registered',
        'login_failed',
        'login',
        'logout',
        'password_reset_requested',
        'password_changed',
      ])
        expect(types).toContain(type);
      // Newest first: the last sign-in is the newest record, the registration the oldest.
      expect(types[0]).toBe('login');
      expect(types.at(-1)).toBe('registered');
      expect([...trail.map((item) => item.id)].sort().reverse()).toEqual(trail.map((item) => item.id));
      expect(types.indexOf('password_changed')).toBeLessThan(types.indexOf('login_failed'));

      for (const item of trail) {
        expect(item.userId).toBe(account.user.id);
        expect(item.userAgent).toBe(UA);
        expect(item.ip).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
      }
      expect(trail.find((item) => item.type === 'password_changed')!.metadata).toEqual({
        via: 'reset_token',
      });
    });

    it('records members added to and removed from a team, and role changes, in the member’s trail', async () => {
      const owner = await registerUser(h, { userAgent: UA });
      let member = await registerUser(h, { userAgent: UA });
      const organizationId = owner.user.organizationId;
      const invite = await call('POST', `/v1/organizations/${organizationId}/invites`, owner, {
        email: member.email,
      });
      expect(invite.statusCode).toBe(201);
      const inviteToken = await mailTo(member.email, 1, 'Invite token:');
      expect((await call('POST', '/v1/invites/accept', member, { token: inviteToken })).statusCode).toBe(200);

      const team = await call('POST', '/v1/teams', owner, { name: 'Audited' });
      expect(team.statusCode).toBe(201);
      const teamId = team.json().id as string;
      expect(
        (await call('POST', `/v1/teams/${teamId}/members`, owner, { email: member.email })).statusCode,
      ).toBe(201);

      const role = await call('POST', '/v1/roles', owner, {
        name: 'Auditors',
        permissions: ['analytics.read'],
      });
      expect(role.statusCode).toBe(201);
      const roleId = role.json().id as string;
      expect(
        (await call('POST', `/v1/roles/${roleId}/users`, owner, { userId: member.user.id })).statusCode,
      ).toBe(201);
      expect((await call('DELETE', `/v1/roles/${roleId}/users/${member.user.id}`, owner)).statusCode).toBe(
        204,
      );
      expect((await call('DELETE', `/v1/teams/${teamId}/members/${member.user.id}`, owner)).statusCode).toBe(
        204,
      );

      // Removal ended the member's sessions: they sign in again to read their trail.
      member = {
        ...member,
        ...(await loginUser(h, { email: member.email, password: member.password, userAgent: UA })),
      };
      const trail = await wholeTrail(member);
      const byType = (type: string) => trail.filter((item) => item.type === type);
      expect(byType('member_added')).toHaveLength(1);
      expect(byType('member_added')[0]).toMatchObject({
        organizationId,
        userAgent: UA,
        metadata: { teamId, by: owner.user.id },
      });
      expect(byType('member_removed')).toHaveLength(1);
      expect(byType('member_removed')[0]).toMatchObject({
        organizationId,
        metadata: { teamId, by: owner.user.id },
      });
      expect(byType('role_granted')[0]).toMatchObject({
        organizationId,
        metadata: { roleId, roleName: 'Auditors', by: owner.user.id },
      });
      expect(byType('role_revoked')[0]).toMatchObject({
        organizationId,
        metadata: { roleId, by: owner.user.id },
      });
      expect(byType('invite_accepted')).toHaveLength(1);
      expect(byType('session_revoked').length).toBeGreaterThan(0);
      expect(byType('session_revoked')[0]!.metadata).toMatchObject({
        reason: 'membership_changed',
        by: owner.user.id,
      });
      const order = ['member_removed', 'role_revoked', 'role_granted', 'member_added'].map((type) =>
        trail.findIndex((item) => item.type === type),
      );
      expect(order).toEqual([...order].sort((a, b) => a - b));

      // The owner's trail has what the owner did, not the member's records.
      const ownerTrail = await wholeTrail(owner);
      expect(ownerTrail.map((item) => item.type)).toEqual(
        expect.arrayContaining(['role_created', 'team_created', 'invite_sent']),
      );
      expect(ownerTrail.every((item) => item.userId === owner.user.id)).toBe(true);
    });

    it('pages newest first with a cursor', async () => {
      const account = await registerUser(h, { userAgent: UA });
      for (let i = 0; i < 4; i++)
        await loginUser(h, { email: account.email, password: account.password, userAgent: UA });
      const everything = await wholeTrail(account);
      expect(everything).toHaveLength(5);

      const first = await myActivity(account, '?limit=2');
      expect(first.items.map((item) => item.id)).toEqual(everything.slice(0, 2).map((item) => item.id));
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await myActivity(account, `?limit=2&cursor=${first.nextCursor}`);
      expect(second.items.map((item) => item.id)).toEqual(everything.slice(2, 4).map((item) => item.id));
      const third = await myActivity(account, `?limit=2&cursor=${second.nextCursor}`);
      expect(third.items.map((item) => item.id)).toEqual(everything.slice(4).map((item) => item.id));
      expect(third.nextCursor).toBeNull();
    });

    it('the platform admin sees anyone’s trail, filtered by user and type', async () => {
      const account = await registerUser(h, { userAgent: UA });
      await loginUser(h, { email: account.email, password: account.password, userAgent: UA });
      const ofUser = await call('GET', `/v1/admin/activity?userId=${account.user.id}`, platformAdmin);
      expect(ofUser.statusCode).toBe(200);
      const items = ofUser.json().items as ActivityItem[];
      expect(items.map((item) => item.type)).toEqual(['login', 'registered']);
      expect(items.every((item) => item.userId === account.user.id)).toBe(true);

      const logins = await call(
        'GET',
        `/v1/admin/activity?userId=${account.user.id}&type=login`,
        platformAdmin,
      );
      expect(logins.json().items.map((item: ActivityItem) => item.type)).toEqual(['login']);

      const everyone = await call('GET', '/v1/admin/activity?limit=100&type=registered', platformAdmin);
      const users = new Set((everyone.json().items as ActivityItem[]).map((item) => item.userId));
      expect(users.has(account.user.id)).toBe(true);
      expect(users.has(platformAdmin.user.id)).toBe(true);

      // /v1/me/activity stays the admin's own trail.
      const own = await myActivity(platformAdmin, '?limit=100');
      expect(own.items.every((item) => item.userId === platformAdmin.user.id)).toBe(true);
    });
  });

  describe('error', () => {
    it.each([
      ['a cursor this list did not give out', '?cursor=not-a-cursor'],
      ['a limit of 0', '?limit=0'],
      ['a limit above 100', '?limit=101'],
      ['a limit that is not a number', '?limit=many'],
    ])('GET /v1/me/activity answers 400 for %s', async (_label, query) => {
      const account = await registerUser(h);
      const response = await call('GET', `/v1/me/activity${query}`, account);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });

    it('GET /v1/admin/activity answers 400 to the platform admin for bad filters', async () => {
      expect((await call('GET', '/v1/admin/activity?userId=nope', platformAdmin)).statusCode).toBe(400);
      expect((await call('GET', '/v1/admin/activity?cursor=nope', platformAdmin)).statusCode).toBe(400);
      expect((await call('GET', '/v1/admin/activity?type=DROP%20TABLE', platformAdmin)).statusCode).toBe(400);
    });
  });

  describe('security', () => {
    it('a user never sees another user’s activity', async () => {
      const alice = await registerUser(h, { userAgent: UA });
      const bob = await registerUser(h, { userAgent: UA });
      await loginUser(h, { email: alice.email, password: alice.password, userAgent: UA });
      const bobs = await wholeTrail(bob);
      expect(bobs.length).toBeGreaterThan(0);
      expect(bobs.every((item) => item.userId === bob.user.id)).toBe(true);
      // A cursor from someone else's trail does not reach into it either.
      const alicesCursor = (await myActivity(alice, '?limit=1')).nextCursor;
      expect(alicesCursor).toEqual(expect.any(String));
      const viaCursor = await myActivity(bob, `?cursor=${alicesCursor}&limit=100`);
      expect(viaCursor.items.every((item) => item.userId === bob.user.id)).toBe(true);
    });

    it('the admin view is 403 for anyone but the platform admin, even with bad input, and 401 without a token', async () => {
      const account = await registerUser(h);
      for (const query of ['', `?userId=${platformAdmin.user.id}`, '?userId=nope&limit=0']) {
        const response = await call('GET', `/v1/admin/activity${query}`, account);
        expect(response.statusCode).toBe(403);
        expect(response.headers['content-type']).toContain('application/problem+json');
      }
      expect((await call('GET', '/v1/admin/activity', null)).statusCode).toBe(401);
      expect((await call('GET', '/v1/me/activity', null)).statusCode).toBe(401);
    });

    it('is append-only: the runtime role may neither change nor delete a record', async () => {
      const account = await registerUser(h);
      const [record] =
        await h.admin`select id from identity.user_account_activities where user_id = ${account.user.id}`;
      const asUser = async <T>(run: (tx: postgres.TransactionSql) => Promise<T>) =>
        runtime.begin(async (tx) => {
          await tx`select set_config('app.user_id', ${account.user.id}, true), set_config('app.platform_admin', 'true', true)`;
          return run(tx);
        });
      expect(
        await asUser((tx) => tx`select id from identity.user_account_activities where id = ${record!.id}`),
      ).toHaveLength(1);
      await expect(
        asUser(
          (tx) => tx`update identity.user_account_activities set type = 'nothing' where id = ${record!.id}`,
        ),
      ).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('permission denied') });
      await expect(
        asUser((tx) => tx`delete from identity.user_account_activities where id = ${record!.id}`),
      ).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('permission denied') });
      await expect(runtime`delete from identity.user_account_activities`).rejects.toMatchObject({
        code: '42501',
      });
      await expect(runtime`truncate identity.user_account_activities`).rejects.toMatchObject({
        code: '42501',
      });
      const [still] =
        await h.admin`select type from identity.user_account_activities where id = ${record!.id}`;
      expect(still).toEqual({ type: 'registered' });
    });
  });
});
