import { randomUUID } from 'node:crypto';
import { requestRpc } from '@conduit/bus';
import { reserveUsage } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';
import {
  counter,
  createTeam,
  ensureSubscription,
  registerPlatformAdmin,
} from '../fixtures/usage-subjects.js';

let h: IdentityHarness;
let admin: Awaited<ReturnType<typeof registerPlatformAdmin>>;

beforeAll(async () => {
  h = await startIdentityHarness();
  admin = await registerPlatformAdmin(h);
}, 60_000);
afterAll(() => h?.close(), 30_000);

const get = (url: string, accessToken?: string) =>
  h.app.inject({ method: 'GET', url, headers: accessToken ? bearer(accessToken) : {} });
const putPlan = (accessToken: string | undefined, subjectType: string, subjectId: string, payload: unknown) =>
  h.app.inject({
    method: 'PUT',
    url: `/v1/admin/subscriptions/${subjectType}/${subjectId}`,
    headers: accessToken ? bearer(accessToken) : {},
    payload: payload as Record<string, unknown>,
  });

const freeUsage = [
  { metric: 'executions', used: 0, limit: 1000, remaining: 1000 },
  { metric: 'messages', used: 0, limit: 2000, remaining: 2000 },
  { metric: 'ai_credits', used: 0, limit: 500, remaining: 500 },
  { metric: 'storage_mb', used: 0, limit: 100, remaining: 100 },
  { metric: 'emails_sent', used: 0, limit: 1000, remaining: 1000 },
];

const subscriptionIdOf = async (type: 'user' | 'team', id: string) => {
  const [row] = await h.admin<{ id: string }[]>`
    select id from identity.user_subscriptions where subject_type = ${type} and subject_id = ${id}`;
  return row?.id;
};
const planChangedEvents = (subjectId: string) =>
  h.admin<{ payload: { data: Record<string, unknown>; actor: { userId: string } } }[]>`
    select payload from identity.outbox
    where subject = 'identity.subscription.plan_changed' and payload->'data'->>'subjectId' = ${subjectId}
    order by id`;
const planChangedActivities = (userId: string) =>
  h.admin<{ user_id: string; metadata: Record<string, unknown> }[]>`
    select user_id, metadata from identity.user_account_activities
    where type = 'plan_changed' and user_id = ${userId} order by id`;

describe('subscriptions and plans', () => {
  describe('happy', () => {
    it('GET /v1/me/subscription answers my plan, its period with the reset date, and my usage', async () => {
      const account = await registerUser(h);
      const response = await get('/v1/me/subscription', account.accessToken);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({
        subject: { type: 'user', id: account.user.id },
        plan: { id: 'free', name: 'Free' },
        usage: freeUsage,
      });
      expect(Date.parse(body.periodStart)).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(body.periodEnd)).toBeGreaterThan(Date.now());
      const resetsIn = (Date.parse(body.periodEnd) - Date.parse(body.periodStart)) / 86_400_000;
      expect(resetsIn).toBeGreaterThanOrEqual(28);
      expect(resetsIn).toBeLessThanOrEqual(31);
    });

    it('shows what reservations used', async () => {
      const account = await registerUser(h);
      await get('/v1/me/subscription', account.accessToken);
      const subject = { type: 'user', id: account.user.id } as const;
      await requestRpc(h.bus, reserveUsage, { subject, items: [{ metric: 'ai_credits', amount: 120 }] });
      const body = (await get('/v1/me/subscription', account.accessToken)).json();
      expect(body.usage).toContainEqual({ metric: 'ai_credits', used: 120, limit: 500, remaining: 380 });
    });

    it('GET /v1/plans lists every plan with its monthly limits, smallest first', async () => {
      const account = await registerUser(h);
      const response = await get('/v1/plans', account.accessToken);
      expect(response.statusCode).toBe(200);
      expect(response.json().items).toEqual([
        {
          id: 'free',
          name: 'Free',
          limits: { executions: 1000, messages: 2000, ai_credits: 500, storage_mb: 100, emails_sent: 1000 },
        },
        {
          id: 'pro',
          name: 'Pro',
          limits: {
            executions: 50000,
            messages: 100000,
            ai_credits: 20000,
            storage_mb: 10240,
            emails_sent: 50000,
          },
        },
        {
          id: 'team',
          name: 'Team',
          limits: {
            executions: 200000,
            messages: 500000,
            ai_credits: 100000,
            storage_mb: 51200,
            emails_sent: 200000,
          },
        },
      ]);
    });

    it('GET /v1/teams/:id/subscription answers a member', async () => {
      const owner = await registerUser(h);
      const teamId = await createTeam(h, owner.user);
      const response = await get(`/v1/teams/${teamId}/subscription`, owner.accessToken);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        subject: { type: 'team', id: teamId },
        plan: { id: 'free' },
        usage: freeUsage,
      });
    });

    it('PUT /v1/admin/subscriptions changes a user plan, keeps what was used, records event and audit', async () => {
      const account = await registerUser(h);
      await get('/v1/me/subscription', account.accessToken);
      const subject = { type: 'user', id: account.user.id } as const;
      await requestRpc(h.bus, reserveUsage, { subject, items: [{ metric: 'executions', amount: 10 }] });

      const response = await putPlan(admin.accessToken, 'user', account.user.id, { planId: 'pro' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ subject, plan: { id: 'pro', name: 'Pro' } });
      expect(response.json().usage[0]).toEqual({
        metric: 'executions',
        used: 10,
        limit: 50000,
        remaining: 49990,
      });
      // The user sees it too, and reservations get the new limit at once.
      expect((await get('/v1/me/subscription', account.accessToken)).json().plan.id).toBe('pro');
      expect(
        await requestRpc(h.bus, reserveUsage, { subject, items: [{ metric: 'executions', amount: 1 }] }),
      ).toMatchObject({ granted: true, items: [{ metric: 'executions', remaining: 49989, limit: 50000 }] });

      const events = await planChangedEvents(account.user.id);
      expect(events).toHaveLength(1);
      expect(events[0]!.payload.data).toEqual({
        subjectType: 'user',
        subjectId: account.user.id,
        from: 'free',
        to: 'pro',
      });
      expect(events[0]!.payload.actor.userId).toBe(admin.user.id);
      const activities = await planChangedActivities(account.user.id);
      expect(activities).toHaveLength(1);
      expect(activities[0]!.metadata).toMatchObject({ from: 'free', to: 'pro', changedBy: admin.user.id });
    });

    it('PUT for a team records the change on the acting admin, and a downgrade never shows negative remaining', async () => {
      const owner = await registerUser(h);
      const teamId = await createTeam(h, owner.user);
      expect((await putPlan(admin.accessToken, 'team', teamId, { planId: 'team' })).statusCode).toBe(200);
      await requestRpc(h.bus, reserveUsage, {
        subject: { type: 'team', id: teamId },
        items: [{ metric: 'storage_mb', amount: 150 }],
      });

      const response = await putPlan(admin.accessToken, 'team', teamId, { planId: 'free' });
      expect(response.statusCode).toBe(200);
      expect(response.json().usage).toContainEqual({
        metric: 'storage_mb',
        used: 150,
        limit: 100,
        remaining: 0,
      });
      const teamView = (await get(`/v1/teams/${teamId}/subscription`, owner.accessToken)).json();
      expect(teamView.plan.id).toBe('free');

      expect((await planChangedEvents(teamId)).map((e) => e.payload.data)).toEqual([
        { subjectType: 'team', subjectId: teamId, from: 'free', to: 'team' },
        { subjectType: 'team', subjectId: teamId, from: 'team', to: 'free' },
      ]);
      const activities = (await planChangedActivities(admin.user.id)).filter(
        (a) => a.metadata.subjectId === teamId,
      );
      expect(activities).toHaveLength(2);
      expect(await planChangedActivities(owner.user.id)).toHaveLength(0);
    });

    it('PUT to a plan that does not limit storage keeps counting it (limit null), and back to one that does', async () => {
      // Made and dropped here, so that GET /v1/plans lists the seeded plans only.
      await h.admin`insert into identity.plans (id, name, limits)
        values ('routes-no-storage', 'No storage limit', '{"executions": 1000}') on conflict (id) do nothing`;
      const account = await registerUser(h);
      await get('/v1/me/subscription', account.accessToken);
      const subject = { type: 'user', id: account.user.id } as const;
      await requestRpc(h.bus, reserveUsage, { subject, items: [{ metric: 'storage_mb', amount: 60 }] });

      const moved = await putPlan(admin.accessToken, 'user', account.user.id, {
        planId: 'routes-no-storage',
      });
      expect(moved.statusCode).toBe(200);
      expect(moved.json().usage).toEqual([
        { metric: 'executions', used: 0, limit: 1000, remaining: 1000 },
        { metric: 'storage_mb', used: 60, limit: null, remaining: null },
      ]);
      expect(
        await requestRpc(h.bus, reserveUsage, { subject, items: [{ metric: 'storage_mb', amount: 90 }] }),
      ).toMatchObject({ granted: true, items: [{ metric: 'storage_mb', remaining: null, limit: null }] });
      expect((await get('/v1/me/subscription', account.accessToken)).json().usage).toContainEqual({
        metric: 'storage_mb',
        used: 150,
        limit: null,
        remaining: null,
      });

      const back = await putPlan(admin.accessToken, 'user', account.user.id, { planId: 'free' });
      expect(back.json().usage).toContainEqual({ metric: 'storage_mb', used: 150, limit: 100, remaining: 0 });
      expect(
        await requestRpc(h.bus, reserveUsage, { subject, items: [{ metric: 'storage_mb', amount: 1 }] }),
      ).toMatchObject({ granted: false, refused: 'storage_mb' });
      await h.admin`delete from identity.plans where id = 'routes-no-storage'`;
    });

    it('PUT the current plan again changes and records nothing', async () => {
      const account = await registerUser(h);
      await get('/v1/me/subscription', account.accessToken);
      const response = await putPlan(admin.accessToken, 'user', account.user.id, { planId: 'free' });
      expect(response.statusCode).toBe(200);
      expect(response.json().plan.id).toBe('free');
      expect(await planChangedEvents(account.user.id)).toHaveLength(0);
      expect(await planChangedActivities(account.user.id)).toHaveLength(0);
    });

    it('PUT creates the subscription of a subject that has none yet', async () => {
      const owner = await registerUser(h);
      const teamId = await createTeam(h, owner.user, { subscription: false });
      expect(await subscriptionIdOf('team', teamId)).toBeUndefined();

      const response = await putPlan(admin.accessToken, 'team', teamId, { planId: 'team' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ subject: { type: 'team', id: teamId }, plan: { id: 'team' } });
      const subscriptionId = await subscriptionIdOf('team', teamId);
      expect(await counter(h, subscriptionId!, 'executions')).toEqual({ used: 0, limit: 200000 });
      expect((await planChangedEvents(teamId)).map((e) => e.payload.data)).toEqual([
        { subjectType: 'team', subjectId: teamId, from: 'free', to: 'team' },
      ]);
    });
  });

  describe('error', () => {
    it.each([
      ['GET', '/v1/me/subscription'],
      ['GET', `/v1/teams/${randomUUID()}/subscription`],
      ['GET', '/v1/plans'],
      ['PUT', `/v1/admin/subscriptions/user/${randomUUID()}`],
    ] as const)('%s %s needs an access token', async (method, url) => {
      const response = await h.app.inject({
        method,
        url,
        payload: method === 'PUT' ? { planId: 'pro' } : undefined,
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('answers 400 for a team id that is not a uuid', async () => {
      const account = await registerUser(h);
      const response = await get('/v1/teams/not-a-uuid/subscription', account.accessToken);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it.each([
      ['an unknown subject type', 'org', randomUUID(), { planId: 'pro' }],
      ['a subject id that is not a uuid', 'user', 'me', { planId: 'pro' }],
      ['no plan', 'user', randomUUID(), {}],
      ['an empty plan', 'user', randomUUID(), { planId: '' }],
      ['a plan that is not text', 'user', randomUUID(), { planId: 7 }],
      ['an unknown field', 'user', randomUUID(), { planId: 'pro', limits: {} }],
    ])('answers the admin 400 for %s', async (_, subjectType, subjectId, payload) => {
      const response = await putPlan(admin.accessToken, subjectType, subjectId, payload);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('answers the admin 422 for a plan that does not exist', async () => {
      const account = await registerUser(h);
      const response = await putPlan(admin.accessToken, 'user', account.user.id, { planId: 'enterprise' });
      expect(response.statusCode).toBe(422);
      expect(await subscriptionIdOf('user', account.user.id)).toBeDefined();
      expect(await planChangedEvents(account.user.id)).toHaveLength(0);
    });

    it.each(['user', 'team'])(
      'answers the admin 404 for a %s that does not exist, and creates nothing',
      async (type) => {
        const id = randomUUID();
        const response = await putPlan(admin.accessToken, type, id, { planId: 'pro' });
        expect(response.statusCode).toBe(404);
        expect(await subscriptionIdOf(type as 'user' | 'team', id)).toBeUndefined();
      },
    );
  });

  describe('security', () => {
    it('a stranger cannot tell a team exists: 404 as for a team that does not', async () => {
      const owner = await registerUser(h);
      const stranger = await registerUser(h);
      const teamId = await createTeam(h, owner.user);
      const hidden = await get(`/v1/teams/${teamId}/subscription`, stranger.accessToken);
      const missing = await get(`/v1/teams/${randomUUID()}/subscription`, stranger.accessToken);
      expect(hidden.statusCode).toBe(404);
      expect(missing.statusCode).toBe(404);
      const { code, title, detail } = missing.json();
      expect(hidden.json()).toMatchObject({ code, title, detail });
    });

    it('a team owner may read, but not change, the team plan', async () => {
      const owner = await registerUser(h);
      const teamId = await createTeam(h, owner.user);
      const response = await putPlan(owner.accessToken, 'team', teamId, { planId: 'team' });
      expect(response.statusCode).toBe(403);
      expect((await get(`/v1/teams/${teamId}/subscription`, owner.accessToken)).json().plan.id).toBe('free');
    });

    it('the admin route refuses anyone else with 403 before it looks at the input', async () => {
      const account = await registerUser(h);
      for (const [subjectType, subjectId, payload] of [
        ['user', account.user.id, { planId: 'pro' }],
        ['user', 'not-a-uuid', { nonsense: true }],
        ['org', account.user.id, {}],
      ] as const) {
        const response = await putPlan(account.accessToken, subjectType, subjectId, payload);
        expect(response.statusCode).toBe(403);
        expect(response.headers['content-type']).toContain('application/problem+json');
      }
      expect((await get('/v1/me/subscription', account.accessToken)).json().plan.id).toBe('free');
    });

    it('an admin whose role was taken away loses the power at once, before the token expires', async () => {
      const former = await registerPlatformAdmin(h);
      const account = await registerUser(h);
      await h.admin`delete from identity.role_user where user_id = ${former.user.id}`;
      const response = await putPlan(former.accessToken, 'user', account.user.id, { planId: 'pro' });
      expect(response.statusCode).toBe(403);
      expect(await planChangedEvents(account.user.id)).toHaveLength(0);
    });

    it('my subscription is mine: the owner connection shows it, nobody else reads it', async () => {
      const me = await registerUser(h);
      const other = await registerUser(h);
      await ensureSubscription(h, { type: 'user', id: other.user.id });
      const body = (await get('/v1/me/subscription', me.accessToken)).json();
      expect(body.subject.id).toBe(me.user.id);
      // Another user's subscription is out of reach through the team route too.
      expect((await get(`/v1/teams/${other.user.id}/subscription`, me.accessToken)).statusCode).toBe(404);
    });
  });
});
