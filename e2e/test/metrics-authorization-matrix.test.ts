import { randomUUID } from 'node:crypto';
import {
  type AnalyticsHarness,
  bearer,
  startAnalyticsHarness,
  type TokenClaims,
} from '@conduit/analytics/test/fixtures/analytics-harness.js';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import { createTestDatabase, type TestDatabase } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixRow, runMatrixRow } from '../src/authorization-matrix.js';

// Who may do what with the metrics layer (data sources, data schemas, explorations, queries),
// through the gateway, kept as data. Everything belongs to team T: its sources and schemas were
// set up by T's admin; `owner` is the member of T who saved the explorations. A stranger owns a
// team of their own. The external source is a second database on the machine's Postgres.
const ACTORS = [
  'anonymous',
  'owner',
  'teamOwner',
  'teamAdmin',
  'teamMember',
  'teamViewer',
  'stranger',
] as const;
type ActorName = (typeof ACTORS)[number];

interface Context {
  source: string;
  builtInSource: string;
  schema: string;
  exploration: string;
  fresh(kind: 'source' | 'schema' | 'exploration'): Promise<string>;
}
const TEAM = randomUUID();
const PASSWORD = `matrix-${randomUUID()}`;
const SCHEMA = `cubes:
  - name: numbers
    sql: "select n, n % 2 = 0 as even from generate_series(1, 10) as n"
    measures:
      count: { type: count }
      total: { type: sum, sql: "{CUBE}.n" }
    dimensions:
      even: { type: boolean, sql: "{CUBE}.even" }
`;
const QUERY = { measures: ['numbers.count', 'numbers.total'], dimensions: ['numbers.even'] };

let analytics: AnalyticsHarness;
let gateway: GatewayHarness;
let external: TestDatabase;
const tokens = {} as Record<ActorName, string | undefined>;
let context: Context;

const connection = () => {
  const url = new URL(external.adminUrl);
  return {
    host: '127.0.0.1',
    port: Number(url.port || 5432),
    database: url.pathname.slice(1),
    user: decodeURIComponent(url.username),
    tlsMode: 'disable',
  };
};
const sourceBody = () => ({ teamId: TEAM, name: 'Numbers', connection: connection(), password: PASSWORD });
const S = (c: Context) => `/v1/metrics/datasources/${c.source}`;
const D = (c: Context) => `/v1/metrics/dataschemas/${c.schema}`;
const E = (c: Context) => `/v1/metrics/explorations/${c.exploration}`;

// biome-ignore format: the matrix reads as a table, one route per line
const MATRIX: MatrixRow<Context, ActorName>[] = [
  // Columns: anonymous, owner, team owner, team admin, team member, team viewer, stranger.
  { route: 'GET datasources', request: () => ({ method: 'GET', url: `/v1/metrics/datasources?teamId=${TEAM}` }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'POST datasource', request: () => ({ method: 'POST', url: '/v1/metrics/datasources', body: sourceBody() }), expected: [401, 403, 201, 201, 403, 403, 404] },
  { route: 'GET datasource', request: (c) => ({ method: 'GET', url: S(c) }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'GET built-in datasource', request: (c) => ({ method: 'GET', url: `/v1/metrics/datasources/${c.builtInSource}` }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'PATCH datasource', request: (c) => ({ method: 'PATCH', url: S(c), body: { name: 'Numbers again' } }), expected: [401, 403, 200, 200, 403, 403, 404] },
  { route: 'PATCH datasource password', request: (c) => ({ method: 'PATCH', url: S(c), body: { password: PASSWORD } }), expected: [401, 403, 200, 200, 403, 403, 404] },
  { route: 'DELETE datasource', request: async (c) => ({ method: 'DELETE', url: `/v1/metrics/datasources/${await c.fresh('source')}` }), expected: [401, 403, 204, 204, 403, 403, 404] },
  { route: 'DELETE built-in datasource', request: (c) => ({ method: 'DELETE', url: `/v1/metrics/datasources/${c.builtInSource}` }), expected: [401, 403, 409, 409, 403, 403, 404] },
  { route: 'GET dataschemas', request: () => ({ method: 'GET', url: `/v1/metrics/dataschemas?teamId=${TEAM}` }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'POST dataschema', request: (c) => ({ method: 'POST', url: '/v1/metrics/dataschemas', body: { datasourceId: c.source, name: 'N', code: SCHEMA } }), expected: [401, 403, 201, 201, 403, 403, 404] },
  { route: 'GET dataschema', request: (c) => ({ method: 'GET', url: D(c) }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'GET dataschema members', request: (c) => ({ method: 'GET', url: `${D(c)}/members` }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'GET dataschema versions', request: (c) => ({ method: 'GET', url: `${D(c)}/versions` }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'PUT dataschema', request: (c) => ({ method: 'PUT', url: D(c), body: { code: SCHEMA } }), expected: [401, 403, 200, 200, 403, 403, 404] },
  { route: 'DELETE dataschema', request: async (c) => ({ method: 'DELETE', url: `/v1/metrics/dataschemas/${await c.fresh('schema')}` }), expected: [401, 403, 204, 204, 403, 403, 404] },
  { route: 'POST query', request: (c) => ({ method: 'POST', url: '/v1/metrics/query', body: { dataschemaId: c.schema, query: QUERY } }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'GET explorations', request: () => ({ method: 'GET', url: `/v1/metrics/explorations?teamId=${TEAM}` }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'POST exploration', request: (c) => ({ method: 'POST', url: '/v1/metrics/explorations', body: { dataschemaId: c.schema, name: 'Even', query: QUERY } }), expected: [401, 201, 201, 201, 201, 403, 404] },
  { route: 'GET exploration', request: (c) => ({ method: 'GET', url: E(c) }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'PATCH exploration', request: (c) => ({ method: 'PATCH', url: E(c), body: { name: 'Even and odd' } }), expected: [401, 200, 200, 200, 200, 403, 404] },
  { route: 'POST run exploration', request: (c) => ({ method: 'POST', url: `${E(c)}/run` }), expected: [401, 200, 200, 200, 200, 200, 404] },
  { route: 'DELETE exploration', request: async (c) => ({ method: 'DELETE', url: `/v1/metrics/explorations/${await c.fresh('exploration')}` }), expected: [401, 204, 204, 204, 204, 403, 404] },
  { route: 'GET unknown datasource', request: () => ({ method: 'GET', url: `/v1/metrics/datasources/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404, 404] },
  { route: 'GET unknown dataschema', request: () => ({ method: 'GET', url: `/v1/metrics/dataschemas/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404, 404] },
  { route: 'POST run unknown exploration', request: () => ({ method: 'POST', url: `/v1/metrics/explorations/${randomUUID()}/run` }), expected: [401, 404, 404, 404, 404, 404, 404] },
];

beforeAll(async () => {
  external = await createTestDatabase([]);
  analytics = await startAnalyticsHarness({
    worker: false,
    env: { METRICS_ALLOWED_HOSTS: '127.0.0.1,localhost', METRICS_CACHE_TTL: '0' },
  });
  const analyticsUrl = await analytics.app.listen({ port: 0, host: '127.0.0.1' });
  gateway = await startGateway(
    { ANALYTICS_URL: analyticsUrl, IDENTITY_URL: 'http://127.0.0.1:9', RATE_LIMIT_MAX: '100000' },
    analytics.tokens.verifier,
  );
  const claims: Record<Exclude<ActorName, 'anonymous'>, TokenClaims> = {
    owner: { teams: { [TEAM]: 'member' } },
    teamOwner: { teams: { [TEAM]: 'owner' } },
    teamAdmin: { teams: { [TEAM]: 'admin' } },
    teamMember: { teams: { [TEAM]: 'member' } },
    teamViewer: { teams: { [TEAM]: 'viewer' } },
    stranger: { teams: { [randomUUID()]: 'owner' } },
  };
  tokens.anonymous = undefined;
  for (const [actor, claim] of Object.entries(claims) as [ActorName, TokenClaims][])
    ({ token: tokens[actor] } = await analytics.tokens.mint(claim));

  const api = async (who: ActorName, method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await analytics.app.inject({
      method,
      url,
      headers: bearer(tokens[who]!),
      ...(payload && { payload }),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; items: { id: string; builtIn?: boolean }[] };
  };
  const builtIn = (await api('teamViewer', 'GET', `/v1/metrics/datasources?teamId=${TEAM}`)).items[0]!;
  expect(builtIn.builtIn).toBe(true);
  const source = (await api('teamAdmin', 'POST', '/v1/metrics/datasources', sourceBody())).id;
  const newSchema = async () =>
    (
      await api('teamAdmin', 'POST', '/v1/metrics/dataschemas', {
        datasourceId: source,
        name: 'N',
        code: SCHEMA,
      })
    ).id;
  const schema = await newSchema();
  const newExploration = async () =>
    (
      await api('owner', 'POST', '/v1/metrics/explorations', {
        dataschemaId: schema,
        name: 'Even',
        query: QUERY,
      })
    ).id;
  context = {
    source,
    builtInSource: builtIn.id,
    schema,
    exploration: await newExploration(),
    async fresh(kind) {
      if (kind === 'source')
        return (await api('teamAdmin', 'POST', '/v1/metrics/datasources', sourceBody())).id;
      if (kind === 'schema') return newSchema();
      return newExploration();
    },
  };
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await analytics?.close();
  await external?.drop();
}, 30_000);

describe('metrics authorization matrix through the gateway', () => {
  it.each(MATRIX)(
    '$route',
    async (row) => {
      const { actual, wanted } = await runMatrixRow({
        gatewayUrl: gateway.url,
        actors: ACTORS,
        tokens,
        context,
        row,
        // The source's password is in no answer to anyone.
        inspect: ({ text }) => expect(text).not.toContain(PASSWORD),
      });
      expect(actual).toEqual(wanted);
    },
    60_000,
  );

  it('answers the same rows to every member of the team, whatever their role', async () => {
    const answers = new Set<string>();
    for (const actor of ['owner', 'teamOwner', 'teamViewer'] as const) {
      const res = await fetch(`${gateway.url}${E(context)}/run`, {
        method: 'POST',
        headers: bearer(tokens[actor]!),
      });
      const body = (await res.json()) as { rows: unknown[] };
      answers.add(JSON.stringify(body.rows));
    }
    expect([...answers]).toEqual([
      JSON.stringify([
        { 'numbers.even': false, 'numbers.count': 5, 'numbers.total': 25 },
        { 'numbers.even': true, 'numbers.count': 5, 'numbers.total': 30 },
      ]),
    ]);
  });

  it('keeps no data-source password in the clear', async () => {
    const rows =
      await analytics.admin`select db_params::text as params, sealed_password from analytics.datasources`;
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(`${row.params} ${row.sealed_password}`).not.toContain(PASSWORD);
  });
});
