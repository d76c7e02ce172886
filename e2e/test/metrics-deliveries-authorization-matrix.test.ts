import { randomUUID } from 'node:crypto';
import {
  type AnalyticsHarness,
  bearer,
  startAnalyticsHarness,
  type TokenClaims,
} from '@conduit/analytics/test/fixtures/analytics-harness.js';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixRow, runMatrixRow } from '../src/authorization-matrix.js';

// Who may do what with the metrics layer's outputs (charts, reports, alerts, SQL credentials),
// through the gateway, kept as data. Everything belongs to team T; its exploration is over the
// built-in source. Managers (owner, admin) change, every member reads, strangers and unknown ids
// get 404 alike, and no answer but a create carries a webhook secret or a password.
const ACTORS = ['anonymous', 'teamOwner', 'teamAdmin', 'teamMember', 'teamViewer', 'stranger'] as const;
type ActorName = (typeof ACTORS)[number];
type Kind = 'report' | 'alert' | 'credential';

interface Context {
  exploration: string;
  report: string;
  alert: string;
  credential: string;
  fresh(kind: Kind): Promise<string>;
}
const TEAM = randomUUID();
// Never called here (worker: false); a loopback address the configuration allows.
const HOOK = 'http://127.0.0.1:9/metrics';
const NEVER_SOON = '0 0 1 1 *';
const reportBody = (c: Context) => ({
  explorationId: c.exploration,
  name: 'Weekly',
  schedule: NEVER_SOON,
  format: 'csv',
  delivery: { webhookUrl: HOOK },
});
const alertBody = (c: Context) => ({
  explorationId: c.exploration,
  name: 'Quiet',
  schedule: NEVER_SOON,
  conditions: [{ column: 'events.count', lower: 1 }],
  delivery: { workflow: true },
});
const R = (c: Context) => `/v1/metrics/reports/${c.report}`;
const A = (c: Context) => `/v1/metrics/alerts/${c.alert}`;
const C = (c: Context) => `/v1/metrics/sql-credentials/${c.credential}`;
const X = (c: Context) => `/v1/metrics/explorations/${c.exploration}`;

// biome-ignore format: the matrix reads as a table, one route per line
const MATRIX: MatrixRow<Context, ActorName>[] = [
  // Columns: anonymous, team owner, team admin, team member, team viewer, stranger.
  { route: 'GET chart.svg', request: (c) => ({ method: 'GET', url: `${X(c)}/chart.svg` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'GET chart.png', request: (c) => ({ method: 'GET', url: `${X(c)}/chart.png?kind=bar` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'PUT chart', request: (c) => ({ method: 'PUT', url: `${X(c)}/chart`, body: { kind: 'area' } }), expected: [401, 200, 200, 200, 403, 404] },
  { route: 'GET reports', request: () => ({ method: 'GET', url: `/v1/metrics/reports?teamId=${TEAM}` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'POST report', request: (c) => ({ method: 'POST', url: '/v1/metrics/reports', body: reportBody(c) }), expected: [401, 201, 201, 403, 403, 404] },
  { route: 'GET report', request: (c) => ({ method: 'GET', url: R(c) }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'PATCH report', request: (c) => ({ method: 'PATCH', url: R(c), body: { name: 'Weekly again' } }), expected: [401, 200, 200, 403, 403, 404] },
  { route: 'POST report send', request: (c) => ({ method: 'POST', url: `${R(c)}/send` }), expected: [401, 202, 202, 403, 403, 404] },
  { route: 'GET report runs', request: (c) => ({ method: 'GET', url: `${R(c)}/runs` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'DELETE report', request: async (c) => ({ method: 'DELETE', url: `/v1/metrics/reports/${await c.fresh('report')}` }), expected: [401, 204, 204, 403, 403, 404] },
  { route: 'GET alerts', request: () => ({ method: 'GET', url: `/v1/metrics/alerts?teamId=${TEAM}` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'POST alert', request: (c) => ({ method: 'POST', url: '/v1/metrics/alerts', body: alertBody(c) }), expected: [401, 201, 201, 403, 403, 404] },
  { route: 'GET alert', request: (c) => ({ method: 'GET', url: A(c) }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'PATCH alert', request: (c) => ({ method: 'PATCH', url: A(c), body: { reminderIntervalSeconds: 3600 } }), expected: [401, 200, 200, 403, 403, 404] },
  { route: 'POST alert test', request: (c) => ({ method: 'POST', url: `${A(c)}/test` }), expected: [401, 202, 202, 403, 403, 404] },
  { route: 'GET alert evaluations', request: (c) => ({ method: 'GET', url: `${A(c)}/evaluations` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'DELETE alert', request: async (c) => ({ method: 'DELETE', url: `/v1/metrics/alerts/${await c.fresh('alert')}` }), expected: [401, 204, 204, 403, 403, 404] },
  { route: 'GET sql credentials', request: () => ({ method: 'GET', url: `/v1/metrics/sql-credentials?teamId=${TEAM}` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'POST sql credential', request: () => ({ method: 'POST', url: '/v1/metrics/sql-credentials', body: { teamId: TEAM, name: 'BI', connectionLimit: 2 } }), expected: [401, 201, 201, 403, 403, 404] },
  { route: 'GET sql credential', request: (c) => ({ method: 'GET', url: C(c) }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'DELETE sql credential', request: async (c) => ({ method: 'DELETE', url: `/v1/metrics/sql-credentials/${await c.fresh('credential')}` }), expected: [401, 204, 204, 403, 403, 404] },
  { route: 'GET unknown report', request: () => ({ method: 'GET', url: `/v1/metrics/reports/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404] },
  { route: 'POST send unknown report', request: () => ({ method: 'POST', url: `/v1/metrics/reports/${randomUUID()}/send` }), expected: [401, 404, 404, 404, 404, 404] },
  { route: 'GET unknown alert', request: () => ({ method: 'GET', url: `/v1/metrics/alerts/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404] },
  { route: 'DELETE unknown sql credential', request: () => ({ method: 'DELETE', url: `/v1/metrics/sql-credentials/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404] },
  { route: 'GET chart of unknown exploration', request: () => ({ method: 'GET', url: `/v1/metrics/explorations/${randomUUID()}/chart.svg` }), expected: [401, 404, 404, 404, 404, 404] },
];

let analytics: AnalyticsHarness;
let gateway: GatewayHarness;
const tokens = {} as Record<ActorName, string | undefined>;
let context: Context;
/** Webhook secrets and passwords answered by creates: in no other answer. */
const secrets: string[] = [];

beforeAll(async () => {
  analytics = await startAnalyticsHarness({
    worker: false,
    // Every actor's DELETE cell makes a login of its own: more than a team's default five.
    env: {
      METRICS_CACHE_TTL: '0',
      METRICS_ALLOWED_HOSTS: '127.0.0.1',
      METRICS_SQL_CREDENTIALS_PER_TEAM: '10',
    },
  });
  const analyticsUrl = await analytics.app.listen({ port: 0, host: '127.0.0.1' });
  gateway = await startGateway(
    { ANALYTICS_URL: analyticsUrl, IDENTITY_URL: 'http://127.0.0.1:9', RATE_LIMIT_MAX: '100000' },
    analytics.tokens.verifier,
  );
  const claims: Record<Exclude<ActorName, 'anonymous'>, TokenClaims> = {
    teamOwner: { teams: { [TEAM]: 'owner' } },
    teamAdmin: { teams: { [TEAM]: 'admin' } },
    teamMember: { teams: { [TEAM]: 'member' } },
    teamViewer: { teams: { [TEAM]: 'viewer' } },
    stranger: { teams: { [randomUUID()]: 'owner' } },
  };
  tokens.anonymous = undefined;
  for (const [actor, claim] of Object.entries(claims) as [ActorName, TokenClaims][])
    ({ token: tokens[actor] } = await analytics.tokens.mint(claim));

  const api = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await analytics.app.inject({
      method,
      url,
      headers: bearer(tokens.teamAdmin!),
      ...(payload && { payload }),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    const body = res.json() as {
      id: string;
      items: { id: string }[];
      webhookSecret?: string;
      password?: string;
    };
    for (const secret of [body.webhookSecret, body.password]) if (secret) secrets.push(secret);
    return body;
  };
  const schema = (await api('GET', `/v1/metrics/dataschemas?teamId=${TEAM}`)).items[0]!.id;
  const exploration = (
    await api('POST', '/v1/metrics/explorations', {
      dataschemaId: schema,
      name: 'Events',
      query: { measures: ['events.count'], dimensions: [] },
    })
  ).id;
  const partial = { exploration } as Context;
  const fresh = async (kind: Kind) => {
    if (kind === 'report') return (await api('POST', '/v1/metrics/reports', reportBody(partial))).id;
    if (kind === 'alert') return (await api('POST', '/v1/metrics/alerts', alertBody(partial))).id;
    return (await api('POST', '/v1/metrics/sql-credentials', { teamId: TEAM, name: 'BI' })).id;
  };
  context = {
    exploration,
    report: await fresh('report'),
    alert: await fresh('alert'),
    credential: await fresh('credential'),
    fresh,
  };
}, 120_000);

afterAll(async () => {
  // Logins belong to the cluster, not the test's database.
  if (analytics) {
    const logins = await analytics.admin`select username from analytics.sql_credentials`;
    for (const { username } of logins) await analytics.admin.unsafe(`drop role if exists ${username}`);
  }
  await gateway?.close();
  await analytics?.close();
}, 30_000);

describe('metrics deliveries authorization matrix through the gateway', () => {
  it.each(MATRIX)(
    '$route',
    async (row) => {
      const { actual, wanted } = await runMatrixRow({
        gatewayUrl: gateway.url,
        actors: ACTORS,
        tokens,
        context,
        row,
        inspect: ({ cell, status, text }) => {
          if (status === 201 && cell.method === 'POST') {
            const created = JSON.parse(text) as { webhookSecret?: string; password?: string };
            for (const secret of [created.webhookSecret, created.password]) if (secret) secrets.push(secret);
          } else for (const secret of secrets) expect(text, row.route).not.toContain(secret);
        },
      });
      expect(actual).toEqual(wanted);
    },
    60_000,
  );
});
