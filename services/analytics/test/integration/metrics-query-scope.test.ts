import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

// Member SQL of the built-in source is written by a team's owners and admins and may change any
// setting mid-statement (set_config, a string run by query_to_xml, even the role). Through the
// real service path, such a schema still reads only the caller's rows of the caller's team.

const teamId = randomUUID();
const otherTeamId = randomUUID();
let h: AnalyticsHarness;
const tokens: Record<'owner' | 'member' | 'otherOwner', string> = {} as never;

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Body = any;

async function call(method: string, url: string, who: keyof typeof tokens, payload?: unknown) {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : null) as Body };
}

async function post(who: keyof typeof tokens, team: string, count: number) {
  const res = await call('POST', '/v1/analytics/events', who, {
    events: Array.from({ length: count }, (_, i) => ({
      idempotencyKey: `${who}-${i}`,
      type: 'page_view',
      occurredAt: new Date(Date.now() - i * 60_000).toISOString(),
      teamId: team,
    })),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

// Every count a statement reaches once it has widened its own settings and role.
const WIDENED = `select set_config('role', 'analytics_app', true),
  set_config('app.platform_admin', 'true', true),
  set_config('app.metrics_team_id', '${otherTeamId}', true),
  set_config('app.user_id', '', true),
  set_config('app.managed_team_ids', '${otherTeamId}', true)`;
const READ = `select (select count(*) from analytics.user_analytics) as events,
  (select count(*) from analytics.rollups where user_id = '00000000-0000-0000-0000-000000000000') as counters,
  (select count(*) from analytics.datasources) as sources,
  (select count(*) from analytics.outbox) as outbox`;
const sqlText = (text: string) => `'${text.replaceAll("'", "''")}'`;

const cubes = {
  cubes: [
    {
      name: 'probe',
      sql_table: 'analytics.metrics_team_events',
      measures: { count: { type: 'count' } },
      dimensions: {
        // set_config in a subquery, before the table is scanned.
        bySetConfig: {
          type: 'string',
          sql: `(select count(*)::text from (select set_config('app.platform_admin', 'true', true), set_config('app.user_id', '', true), set_config('app.managed_team_ids', '${otherTeamId},${teamId}', true) offset 0) s cross join analytics.user_analytics u)`,
        },
        // Strings built at run time, so no word of them is in the member SQL.
        byQueryToXml: {
          type: 'string',
          sql: `(query_to_xml(concat('sel', 'ect 1 from (', ${sqlText(WIDENED)}, ') w'), false, false, '')::text || query_to_xml(concat('sel', 'ect * from (', ${sqlText(READ)}, ') r'), false, false, '')::text)`,
        },
      },
    },
  ],
};

let schemaId: string;

beforeAll(async () => {
  h = await startAnalyticsHarness({ worker: false });
  tokens.owner = (await h.tokens.mint({ teams: { [teamId]: 'owner' } })).token;
  tokens.member = (await h.tokens.mint({ teams: { [teamId]: 'member' } })).token;
  tokens.otherOwner = (await h.tokens.mint({ teams: { [otherTeamId]: 'owner' } })).token;
  await post('owner', teamId, 3);
  await post('member', teamId, 2);
  await post('otherOwner', otherTeamId, 7);
  const sources = await call('GET', `/v1/metrics/datasources?teamId=${teamId}`, 'owner');
  await call('GET', `/v1/metrics/datasources?teamId=${otherTeamId}`, 'otherOwner');
  const saved = await call('POST', '/v1/metrics/dataschemas', 'owner', {
    datasourceId: sources.body.items[0].id,
    name: 'Widening probe',
    format: 'json',
    code: JSON.stringify(cubes),
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  schemaId = saved.body.id;
}, 90_000);

afterAll(async () => {
  await h?.close();
});

const query = (dimension: string) => ({
  dataschemaId: schemaId,
  query: { measures: ['probe.count'], dimensions: [`probe.${dimension}`] },
});

describe('member SQL that changes its own settings', () => {
  it('reads with set_config no more than the caller may: the team for its owner, their own for a member', async () => {
    const asOwner = await call('POST', '/v1/metrics/query', 'owner', query('bySetConfig'));
    expect(asOwner.status, JSON.stringify(asOwner.body)).toBe(200);
    expect(asOwner.body.rows).toEqual([{ 'probe.bySetConfig': '5', 'probe.count': 5 }]);
    const asMember = await call('POST', '/v1/metrics/query', 'member', query('bySetConfig'));
    expect(asMember.status, JSON.stringify(asMember.body)).toBe(200);
    expect(asMember.body.rows).toEqual([{ 'probe.bySetConfig': '2', 'probe.count': 2 }]);
  });

  it('reads through query_to_xml, even back in the runtime role, only what the caller may, and no other table', async () => {
    const counts = (xml: string) =>
      Object.fromEntries(
        ['events', 'counters', 'sources', 'outbox'].map((name) => [
          name,
          Number(new RegExp(`<${name}>(\\d+)</${name}>`).exec(xml)?.[1]),
        ]),
      );
    const asOwner = await call('POST', '/v1/metrics/query', 'owner', query('byQueryToXml'));
    // Answered (the statement did take the runtime role: it read data sources), with the caller's
    // rows only.
    expect(asOwner.status, JSON.stringify(asOwner.body)).toBe(200);
    expect(asOwner.body.rows).toHaveLength(1);
    // The team's 5 events and its team-level counter (page_views, one bucket or two); nothing
    // of the other team, no data source, no outbox row.
    const owner = counts(asOwner.body.rows[0]['probe.byQueryToXml']);
    expect(owner.events).toBe(5);
    expect(owner.counters).toBeLessThanOrEqual(2);
    expect(owner.sources).toBe(0);
    expect(owner.outbox).toBe(0);
    const asMember = await call('POST', '/v1/metrics/query', 'member', query('byQueryToXml'));
    expect(asMember.status, JSON.stringify(asMember.body)).toBe(200);
    const member = counts(asMember.body.rows[0]['probe.byQueryToXml']);
    expect(member).toEqual({ events: 2, counters: 0, sources: 0, outbox: 0 });
  });

  it('leaves no setting behind on the pooled connection it ran on', async () => {
    const sticky = {
      cubes: [
        {
          name: 's',
          sql_table: 'analytics.metrics_team_events',
          measures: { count: { type: 'count' } },
          dimensions: {
            // Session-level (not transaction-local) settings, which outlive a committed transaction.
            poison: {
              type: 'string',
              sql: `set_config('app.metrics_poison', 'left behind', false) || set_config('app.platform_admin', 'true', false) || set_config('role', 'analytics_metrics_reader', false)`,
            },
            seen: {
              type: 'string',
              sql: `coalesce(nullif(current_setting('app.metrics_poison', true), ''), 'clean')`,
            },
          },
        },
      ],
    };
    const sources = await call('GET', `/v1/metrics/datasources?teamId=${teamId}`, 'owner');
    const saved = await call('POST', '/v1/metrics/dataschemas', 'owner', {
      datasourceId: sources.body.items[0].id,
      name: 'Sticky probe',
      format: 'json',
      code: JSON.stringify(sticky),
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const run = (dimension: string, limit: number) =>
      call('POST', '/v1/metrics/query', 'owner', {
        dataschemaId: saved.body.id,
        query: { measures: ['s.count'], dimensions: [`s.${dimension}`], limit },
      });
    expect((await run('poison', 1)).status).toBe(200);
    // Every connection of the pool answers in turn (different limits: no cached answer).
    for (let i = 0; i < 12; i++) {
      const seen = await run('seen', 100 + i);
      expect(seen.status, JSON.stringify(seen.body)).toBe(200);
      expect(seen.body.rows).toEqual([{ 's.seen': 'clean', 's.count': 5 }]);
    }
    // The service's own transactions on those connections still act as the runtime role.
    expect((await call('GET', `/v1/metrics/datasources?teamId=${teamId}`, 'owner')).status).toBe(200);
  });

  it('cannot write, whatever role it takes', async () => {
    const writing = {
      cubes: [
        {
          name: 'w',
          sql_table: 'analytics.metrics_team_events',
          measures: { count: { type: 'count' } },
          dimensions: {
            prune: {
              type: 'string',
              sql: `query_to_xml(concat('sel', 'ect set_config(''role'', ''analytics_app'', true), analytics.prune(now(), now())'), false, false, '')::text`,
            },
          },
        },
      ],
    };
    const sources = await call('GET', `/v1/metrics/datasources?teamId=${teamId}`, 'owner');
    const saved = await call('POST', '/v1/metrics/dataschemas', 'owner', {
      datasourceId: sources.body.items[0].id,
      name: 'Writing probe',
      format: 'json',
      code: JSON.stringify(writing),
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const res = await call('POST', '/v1/metrics/query', 'owner', {
      dataschemaId: saved.body.id,
      query: { measures: ['w.count'], dimensions: ['w.prune'] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    const after = await call('POST', '/v1/metrics/query', 'otherOwner', {
      dataschemaId: (await call('GET', `/v1/metrics/dataschemas?teamId=${otherTeamId}`, 'otherOwner')).body
        .items[0].id,
      query: { measures: ['events.count'] },
    });
    expect(after.body.rows).toEqual([{ 'events.count': 7 }]);
  });
});
