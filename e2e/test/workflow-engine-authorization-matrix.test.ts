import { randomUUID } from 'node:crypto';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  bearer,
  chain,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type TokenClaims,
  type WorkflowHarness,
  waitForExecution,
} from '@conduit/workflow-engine/test/fixtures/workflow-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixRow, runMatrixRow } from '../src/authorization-matrix.js';

// Who may do what with workflows, through the gateway, kept as data: each route of the workflow
// engine against every kind of caller. The team workflow W belongs to `owner`, in team T, and is
// shared with three users (view, run, edit) and once with a fourth whose share has expired.
const ACTORS = [
  'anonymous',
  'owner',
  'teamOwner',
  'teamMember',
  'teamViewer',
  'shareView',
  'shareRun',
  'shareEdit',
  'expiredShare',
  'stranger',
] as const;
type ActorName = (typeof ACTORS)[number];

interface Context {
  workflow: string;
  execution: string;
  template: string;
  hook: string;
  fresh(kind: 'workflow' | 'waiting' | 'execution' | 'share' | 'template' | 'credential'): Promise<string>;
}
const TEAM = randomUUID();
const W = (c: Context) => `/v1/workflows/${c.workflow}`;
const E = (c: Context) => `/v1/executions/${c.execution}`;
const document = (name: string) =>
  chain(name, [{ name: 'Mark', type: 'set', config: { fields: [{ name: 'ok', value: true }] } }]);

// biome-ignore format: the matrix reads as a table, one route per line
const MATRIX: MatrixRow<Context, ActorName>[] = [
  // Columns: anonymous, owner, team owner, team member, team viewer, view share, run share, edit share, expired share, stranger.
  { route: 'GET node types', request: () => ({ method: 'GET', url: '/v1/workflows/node-types' }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'GET workflows', request: () => ({ method: 'GET', url: '/v1/workflows' }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'POST workflow in team', request: () => ({ method: 'POST', url: '/v1/workflows', body: { ...document('new'), teamId: TEAM } }), expected: [401, 201, 201, 201, 403, 404, 404, 404, 404, 404] },
  { route: 'POST import into team', request: () => ({ method: 'POST', url: '/v1/workflows/import', body: { format: 'conduit.workflow', formatVersion: 1, workflow: document('imported'), teamId: TEAM } }), expected: [401, 201, 201, 201, 403, 404, 404, 404, 404, 404] },
  { route: 'GET workflow', request: (c) => ({ method: 'GET', url: W(c) }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 404, 404] },
  { route: 'PUT workflow', request: (c) => ({ method: 'PUT', url: W(c), body: document('team flow') }), expected: [401, 200, 200, 200, 403, 403, 403, 200, 404, 404] },
  { route: 'DELETE workflow', request: async (c) => ({ method: 'DELETE', url: `/v1/workflows/${await c.fresh('workflow')}` }), expected: [401, 204, 204, 204, 403, 403, 403, 403, 404, 404] },
  { route: 'GET versions', request: (c) => ({ method: 'GET', url: `${W(c)}/versions` }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 404, 404] },
  { route: 'GET export', request: (c) => ({ method: 'GET', url: `${W(c)}/export` }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 404, 404] },
  { route: 'POST copy', request: (c) => ({ method: 'POST', url: `${W(c)}/copy`, body: {} }), expected: [401, 201, 201, 201, 201, 201, 201, 201, 404, 404] },
  { route: 'POST run', request: (c) => ({ method: 'POST', url: `${W(c)}/run`, body: { input: [{}] } }), expected: [401, 202, 202, 202, 403, 403, 202, 202, 404, 404] },
  { route: 'GET shares', request: (c) => ({ method: 'GET', url: `${W(c)}/shares` }), expected: [401, 200, 200, 200, 403, 403, 403, 403, 404, 404] },
  { route: 'POST share', request: (c) => ({ method: 'POST', url: `${W(c)}/shares`, body: { userId: randomUUID(), permission: 'view' } }), expected: [401, 201, 201, 201, 403, 403, 403, 403, 404, 404] },
  { route: 'DELETE share', request: async (c) => ({ method: 'DELETE', url: `${W(c)}/shares/${await c.fresh('share')}` }), expected: [401, 204, 204, 204, 403, 403, 403, 403, 404, 404] },
  { route: 'GET executions', request: (c) => ({ method: 'GET', url: `/v1/executions?workflowId=${c.workflow}` }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'GET execution', request: (c) => ({ method: 'GET', url: E(c) }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 404, 404] },
  { route: 'GET execution stream', request: (c) => ({ method: 'GET', url: `${E(c)}/stream` }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 404, 404] },
  { route: 'POST cancel', request: async (c) => ({ method: 'POST', url: `/v1/executions/${await c.fresh('waiting')}/cancel` }), expected: [401, 200, 200, 200, 403, 403, 200, 200, 404, 404] },
  { route: 'POST retry', request: (c) => ({ method: 'POST', url: `${E(c)}/retry`, body: { mode: 'from-start' } }), expected: [401, 202, 202, 202, 403, 403, 202, 202, 404, 404] },
  { route: 'DELETE execution', request: async (c) => ({ method: 'DELETE', url: `/v1/executions/${await c.fresh('execution')}` }), expected: [401, 204, 204, 204, 403, 403, 403, 204, 404, 404] },
  { route: 'GET templates', request: () => ({ method: 'GET', url: '/v1/workflows/templates' }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'GET official template', request: (c) => ({ method: 'GET', url: `/v1/workflows/templates/${c.template}` }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'POST use template', request: (c) => ({ method: 'POST', url: `/v1/workflows/templates/${c.template}/use`, body: {} }), expected: [401, 201, 201, 201, 201, 201, 201, 201, 201, 201] },
  { route: 'POST team template', request: () => ({ method: 'POST', url: '/v1/workflows/templates', body: { name: 't', category: 'team', document: document('t'), teamId: TEAM } }), expected: [401, 201, 201, 201, 403, 404, 404, 404, 404, 404] },
  { route: 'DELETE team template', request: async (c) => ({ method: 'DELETE', url: `/v1/workflows/templates/${await c.fresh('template')}` }), expected: [401, 204, 204, 204, 403, 404, 404, 404, 404, 404] },
  { route: 'POST credential', request: () => ({ method: 'POST', url: '/v1/workflows/credentials', body: { name: 'c', secret: { kind: 'bearer', token: 't' } } }), expected: [401, 201, 201, 201, 201, 201, 201, 201, 201, 201] },
  { route: 'GET credentials', request: () => ({ method: 'GET', url: '/v1/workflows/credentials' }), expected: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'DELETE team credential', request: async (c) => ({ method: 'DELETE', url: `/v1/workflows/credentials/${await c.fresh('credential')}` }), expected: [401, 204, 204, 204, 403, 404, 404, 404, 404, 404] },
  { route: 'POST webhook (public)', request: (c) => ({ method: 'POST', url: `/v1/hooks/${c.hook}/in`, body: { a: 1 } }), expected: [202, 202, 202, 202, 202, 202, 202, 202, 202, 202] },
  { route: 'GET unknown workflow', request: () => ({ method: 'GET', url: `/v1/workflows/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404, 404, 404, 404, 404] },
];

let wf: WorkflowHarness;
let gateway: GatewayHarness;
const tokens = {} as Record<ActorName, string | undefined>;
const userIds = {} as Record<ActorName, string>;
let context: Context;

beforeAll(async () => {
  wf = await startWorkflowHarness();
  const wfUrl = await wf.app.listen({ port: 0, host: '127.0.0.1' });
  gateway = await startGateway(
    { WORKFLOW_ENGINE_URL: wfUrl, IDENTITY_URL: 'http://127.0.0.1:9', RATE_LIMIT_MAX: '100000' },
    wf.tokens.verifier,
  );
  const claims: Record<Exclude<ActorName, 'anonymous'>, TokenClaims> = {
    owner: { teams: { [TEAM]: 'owner' } },
    teamOwner: { teams: { [TEAM]: 'owner' } },
    teamMember: { teams: { [TEAM]: 'member' } },
    teamViewer: { teams: { [TEAM]: 'viewer' } },
    shareView: {},
    shareRun: {},
    shareEdit: {},
    expiredShare: {},
    stranger: { teams: { [randomUUID()]: 'owner' } },
  };
  tokens.anonymous = undefined;
  userIds.anonymous = randomUUID();
  for (const [actor, claim] of Object.entries(claims) as [ActorName, TokenClaims][])
    ({ token: tokens[actor], userId: userIds[actor] } = await wf.tokens.mint(claim));
  const owner = tokens.owner!;

  const api = async (method: string, url: string, body?: unknown) => {
    const res = await wf.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(owner),
      ...(body ? { payload: body } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  /** A team workflow of owner's with the matrix's shares; the expired one given, then lapsed. */
  const sharedWorkflow = async (body: Record<string, unknown>) => {
    const created = await createWorkflow(wf, owner, { ...body, teamId: TEAM });
    for (const [actor, permission] of [
      ['shareView', 'view'],
      ['shareRun', 'run'],
      ['shareEdit', 'edit'],
      ['expiredShare', 'edit'],
    ] as const)
      await api('POST', `/v1/workflows/${created.id}/shares`, { userId: userIds[actor], permission });
    await wf.admin`update workflow.workflow_shares set expires_at = now() - interval '1 second'
      where workflow_id = ${created.id} and shared_with_user_id = ${userIds.expiredShare}`;
    return created.id;
  };
  const workflow = await sharedWorkflow(document('team flow'));
  const waits = await sharedWorkflow(
    chain('waits', [{ name: 'Wait', type: 'wait', config: { amount: 3600 } }]),
  );
  const execution = await runWorkflow(wf, owner, workflow);
  await waitForExecution(wf, owner, execution);
  const hook = (
    await createWorkflow(wf, owner, {
      name: 'hook',
      status: 'active',
      nodes: [{ name: 'In', type: 'webhook', config: { path: 'in' } }],
    })
  ).id;
  const official = await api('GET', '/v1/workflows/templates?official=true');
  context = {
    workflow,
    execution,
    hook,
    template: official.items[0].id,
    async fresh(kind) {
      switch (kind) {
        case 'workflow':
          return sharedWorkflow(document('doomed'));
        case 'waiting': {
          const id = await runWorkflow(wf, owner, waits);
          await waitForExecution(wf, owner, id, ['waiting']);
          return id;
        }
        case 'execution': {
          const id = await runWorkflow(wf, owner, workflow);
          await waitForExecution(wf, owner, id);
          return id;
        }
        case 'share':
          return (
            await api('POST', `/v1/workflows/${workflow}/shares`, {
              userId: randomUUID(),
              permission: 'view',
            })
          ).id;
        case 'template':
          return (
            await api('POST', '/v1/workflows/templates', {
              name: 'doomed',
              category: 'team',
              document: document('t'),
              teamId: TEAM,
            })
          ).id;
        case 'credential':
          return (
            await api('POST', '/v1/workflows/credentials', {
              name: 'doomed',
              secret: { kind: 'bearer', token: 't' },
              teamId: TEAM,
            })
          ).id;
      }
    },
  };
}, 90_000);
afterAll(async () => {
  await gateway?.close();
  await wf?.close();
}, 30_000);

describe('workflow engine authorization matrix through the gateway', () => {
  it.each(MATRIX)('$route', async (row) => {
    const { actual, wanted } = await runMatrixRow({
      gatewayUrl: gateway.url,
      actors: ACTORS,
      tokens,
      context,
      row,
    });
    expect(actual).toEqual(wanted);
  });

  it('lists to each caller only the workflows and runs they may see', async () => {
    for (const actor of ['teamViewer', 'shareView', 'expiredShare', 'stranger'] as const) {
      const list = (await (
        await fetch(`${gateway.url}/v1/workflows?limit=100`, { headers: bearer(tokens[actor]!) })
      ).json()) as {
        items: { id: string }[];
      };
      const runs = (await (
        await fetch(`${gateway.url}/v1/executions?workflowId=${context.workflow}`, {
          headers: bearer(tokens[actor]!),
        })
      ).json()) as { items: unknown[] };
      const sees = actor === 'teamViewer' || actor === 'shareView';
      expect(
        list.items.some((w) => w.id === context.workflow),
        actor,
      ).toBe(sees);
      expect(runs.items.length > 0, actor).toBe(sees);
    }
  });
});
