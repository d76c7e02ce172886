import { randomUUID } from 'node:crypto';
import type { Permission } from '@conduit/contracts';
import { withActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, bearer, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

// Who sees what, over every route: a user, the owner, admin and a member of the user's team, the
// owner of the user's organization (analytics.read), an organization member without it, the
// platform admin, a stranger (another organization, with analytics.read there) and no one.
let h: AnalyticsHarness;
const orgId = randomUUID();
const teamId = randomUUID();
const strangerOrg = randomUUID();
type Who =
  | 'user'
  | 'teamOwner'
  | 'teamAdmin'
  | 'teamMember'
  | 'orgOwner'
  | 'orgMember'
  | 'platformAdmin'
  | 'stranger';
const tokens = {} as Record<Who, { token: string; userId: string }>;
const FROM = new Date(Date.now() - 3_600_000).toISOString();
const TO = new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  h = await startAnalyticsHarness({ worker: false });
  const reader: Permission[] = ['analytics.read'];
  const claims: Record<Who, Parameters<typeof h.tokens.mint>[0]> = {
    user: { orgId, teams: { [teamId]: 'member' } },
    teamOwner: { orgId, teams: { [teamId]: 'owner' } },
    teamAdmin: { orgId, teams: { [teamId]: 'admin' } },
    teamMember: { orgId, teams: { [teamId]: 'member' } },
    orgOwner: { orgId, perms: reader },
    orgMember: { orgId },
    platformAdmin: { orgId: null, platformAdmin: true },
    stranger: { orgId: strangerOrg, perms: reader },
  };
  for (const [who, claim] of Object.entries(claims)) tokens[who as Who] = await h.tokens.mint(claim);
  // The user's activity: two clicks in the team, one page view of their own.
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/analytics/events',
    headers: bearer(tokens.user.token),
    payload: {
      events: [
        { idempotencyKey: '1', type: 'click', occurredAt: new Date().toISOString(), teamId },
        { idempotencyKey: '2', type: 'click', occurredAt: new Date().toISOString(), teamId },
        { idempotencyKey: '3', type: 'page_view', occurredAt: new Date().toISOString() },
      ],
    },
  });
  expect(res.json().recorded).toBe(3);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

type Scope = Record<string, string>;
const me: Scope = { scope: 'me' };
const team: Scope = { scope: 'team', teamId };
const organization: Scope = { scope: 'organization' };
const platform: Scope = { scope: 'platform' };

/** Each route with a scope, and what it answers: a status, and for 200 the clicks it sees. */
const routes = {
  series: (scope: Scope) => ({
    url: '/v1/analytics/series',
    query: { metric: 'clicks', from: FROM, to: TO, interval: 'hour', ...scope },
    clicks: (body: { series: { total: number }[] }) => body.series[0]?.total ?? 0,
  }),
  totals: (scope: Scope) => ({
    url: '/v1/analytics/totals',
    query: { metrics: 'clicks', from: FROM, to: TO, ...scope },
    clicks: (body: { totals: { clicks: number } }) => body.totals.clicks,
  }),
  top: (scope: Scope) => ({
    url: '/v1/analytics/top',
    query: { metric: 'clicks', by: 'user', from: FROM, to: TO, ...scope },
    clicks: (body: { items: { value: number }[] }) => body.items.reduce((sum, item) => sum + item.value, 0),
  }),
  events: (scope: Scope) => ({
    url: '/v1/analytics/events',
    query: { eventType: 'client.click', ...scope },
    clicks: (body: { items: unknown[] }) => body.items.length,
  }),
};

async function ask(who: Who | 'anonymous', route: ReturnType<(typeof routes)[keyof typeof routes]>) {
  const res = await h.app.inject({
    method: 'GET',
    url: route.url,
    query: route.query,
    headers: who === 'anonymous' ? {} : bearer(tokens[who].token),
  });
  if (res.statusCode !== 200) return res.statusCode;
  return `200:${route.clicks(res.json())}`;
}

const everyone: (Who | 'anonymous')[] = [
  'user',
  'teamOwner',
  'teamAdmin',
  'teamMember',
  'orgOwner',
  'orgMember',
  'platformAdmin',
  'stranger',
  'anonymous',
];

describe.each(Object.entries(routes))('GET %s', (_name, route) => {
  it('scope=me: everyone signed in sees their own activity only', async () => {
    const answers = await Promise.all(everyone.map((who) => ask(who, route(me))));
    expect(Object.fromEntries(everyone.map((who, i) => [who, answers[i]]))).toEqual({
      user: '200:2',
      teamOwner: '200:0',
      teamAdmin: '200:0',
      teamMember: '200:0',
      orgOwner: '200:0',
      orgMember: '200:0',
      platformAdmin: '200:0',
      stranger: '200:0',
      anonymous: 401,
    });
  });

  it("scope=team: the team's owners and admins (and the platform admin); members are refused, others told nothing", async () => {
    const answers = await Promise.all(everyone.map((who) => ask(who, route(team))));
    expect(Object.fromEntries(everyone.map((who, i) => [who, answers[i]]))).toEqual({
      user: 403,
      teamOwner: '200:2',
      teamAdmin: '200:2',
      teamMember: 403,
      orgOwner: 404,
      orgMember: 404,
      platformAdmin: '200:2',
      stranger: 404,
      anonymous: 401,
    });
  });

  it('scope=organization: holders of analytics.read, each in their own organization only', async () => {
    const answers = await Promise.all(everyone.map((who) => ask(who, route(organization))));
    expect(Object.fromEntries(everyone.map((who, i) => [who, answers[i]]))).toEqual({
      user: 403,
      teamOwner: 403,
      teamAdmin: 403,
      teamMember: 403,
      orgOwner: '200:2',
      orgMember: 403,
      // The platform admin's session acts in no organization: they read everything with scope=platform.
      platformAdmin: 403,
      stranger: '200:0',
      anonymous: 401,
    });
  });

  it('scope=platform: the platform admin only', async () => {
    const answers = await Promise.all(everyone.map((who) => ask(who, route(platform))));
    expect(Object.fromEntries(everyone.map((who, i) => [who, answers[i]]))).toEqual({
      user: 404,
      teamOwner: 404,
      teamAdmin: 404,
      teamMember: 404,
      orgOwner: 404,
      orgMember: 404,
      platformAdmin: '200:2',
      stranger: 404,
      anonymous: 401,
    });
  });
});

describe('usage and the catalog', () => {
  it('my usage is mine; the organization’s needs analytics.read', async () => {
    const mine = async (who: Who | 'anonymous', path: string) => {
      const res = await h.app.inject({
        method: 'GET',
        url: `/v1/analytics/usage/${path}`,
        headers: who === 'anonymous' ? {} : bearer(tokens[who].token),
      });
      return res.statusCode === 200
        ? `200:${res.json().totals.clicks}+${res.json().totals.page_views}`
        : res.statusCode;
    };
    const answers = await Promise.all(
      everyone.map(async (who) => [who, await mine(who, 'me'), await mine(who, 'organization')]),
    );
    expect(answers).toEqual([
      ['user', '200:2+1', 403],
      ['teamOwner', '200:0+0', 403],
      ['teamAdmin', '200:0+0', 403],
      ['teamMember', '200:0+0', 403],
      ['orgOwner', '200:0+0', '200:2+1'],
      ['orgMember', '200:0+0', 403],
      ['platformAdmin', '200:0+0', 403],
      ['stranger', '200:0+0', '200:0+0'],
      ['anonymous', 401, 401],
    ]);
  });

  it('the metric catalog answers anyone signed in', async () => {
    const res = await h.app.inject({
      method: 'GET',
      url: '/v1/analytics/metrics',
      headers: bearer(tokens.stranger.token),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((m: { name: string }) => m.name)).toContain('workflow_executions_failed');
    expect(
      (await h.app.inject({ method: 'POST', url: '/v1/analytics/events', payload: { events: [] } }))
        .statusCode,
    ).toBe(401);
  });
});

describe('row-level security, as the runtime role', () => {
  const asRole = <T>(context: Parameters<typeof withActor>[1], fn: Parameters<typeof withActor<T>>[2]) =>
    withActor(h.deps.db, context, fn);

  it('shows a stranger nothing and the user their own, whatever the query asks', async () => {
    const count = (tx: Parameters<Parameters<typeof withActor>[2]>[0]) =>
      tx.execute<{ events: number; counters: number }>(sql`select
        (select count(*)::int from analytics.user_analytics) as events,
        (select count(*)::int from analytics.rollups) as counters`);
    expect(
      (
        await asRole(
          { userId: tokens.stranger.userId, orgId: strangerOrg, permissions: ['analytics.read'] },
          count,
        )
      )[0],
    ).toEqual({
      events: 0,
      counters: 0,
    });
    expect((await asRole({ userId: tokens.user.userId, orgId }, count))[0]!.events).toBe(3);
    // A team member who sets the team as theirs is not its manager: only app.managed_team_ids counts.
    expect(
      (
        await asRole(
          { userId: tokens.teamMember.userId, orgId, teamIds: [teamId], writableTeamIds: [teamId] },
          count,
        )
      )[0],
    ).toEqual({
      events: 0,
      counters: 0,
    });
    // Without an actor (a job, the bus) nothing is visible.
    expect(
      (
        await h.deps.db.execute<{ n: number }>(sql`select count(*)::int as n from analytics.user_analytics`)
      )[0]!.n,
    ).toBe(0);
  });

  it('lets the runtime role write events only through record_events, and only the actor’s own', async () => {
    const write = (statement: ReturnType<typeof sql>) =>
      asRole({ userId: tokens.user.userId, orgId }, (tx) => tx.execute(statement)).then(
        () => 'ok',
        (error: { code?: string; cause?: { code?: string } }) => error.cause?.code ?? error.code,
      );
    expect(await write(sql`delete from analytics.user_analytics`)).toBe('42501');
    expect(await write(sql`update analytics.rollups set value = value + 1`)).toBe('42501');
    expect(
      await write(sql`insert into analytics.event_keys (id, occurred_at) values (gen_random_uuid(), now())`),
    ).toBe('42501');
    const other = JSON.stringify([
      {
        id: randomUUID(),
        event_type: 'client.click',
        source: 'client',
        occurred_at: new Date().toISOString(),
        user_id: tokens.stranger.userId,
        metrics: { clicks: 1 },
      },
    ]);
    expect(await write(sql`select analytics.record_events(${other}::jsonb)`)).toBe('42501');
    const partition = (
      await h.admin`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'analytics.user_analytics'::regclass limit 1`
    )[0]!.relname;
    expect(await write(sql.raw(`select * from analytics.${partition}`))).toBe('42501');
  });
});
