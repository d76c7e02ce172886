import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  chain,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

let h: WorkflowHarness;
const teamId = randomUUID();
type User = { token: string; userId: string };
let owner: User;
let member: User;
let viewer: User;
let stranger: User;
let teamWorkflow: { id: string };
let publicWorkflow: { id: string };
let executionId: string;

beforeAll(async () => {
  h = await startWorkflowHarness();
  owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
  member = await h.tokens.mint({ teams: { [teamId]: 'member' } });
  viewer = await h.tokens.mint({ teams: { [teamId]: 'viewer' } });
  stranger = await h.tokens.mint();
  teamWorkflow = await createWorkflow(h, owner.token, { ...chain('team flow', []), teamId });
  publicWorkflow = await createWorkflow(h, owner.token, { ...chain('public flow', []), isPublic: true });
  executionId = await runWorkflow(h, owner.token, publicWorkflow.id);
  await waitForExecution(h, owner.token, executionId);
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const call = (user: User | undefined, method: string, url: string, payload?: object) =>
  h.app.inject({
    method: method as 'GET',
    url,
    headers: user ? bearer(user.token) : {},
    ...(payload ? { payload } : {}),
  });

describe('who may do what', () => {
  it('lets team members by role read, change and run a team workflow; strangers learn nothing', async () => {
    const url = `/v1/workflows/${teamWorkflow.id}`;
    const document = chain('team flow 2', []);
    for (const [user, read, write, run] of [
      [owner, 200, 200, 202],
      [member, 200, 200, 202],
      [viewer, 200, 403, 403],
      [stranger, 404, 404, 404],
      [undefined, 401, 401, 401],
    ] as const) {
      expect((await call(user, 'GET', url)).statusCode).toBe(read);
      expect((await call(user, 'PUT', url, document)).statusCode).toBe(write);
      expect((await call(user, 'POST', `${url}/run`, { input: [] })).statusCode).toBe(run);
      expect((await call(user, 'GET', `${url}/versions`)).statusCode).toBe(read);
    }
    expect((await call(viewer, 'DELETE', url)).statusCode).toBe(403);
    expect((await call(stranger, 'DELETE', url)).statusCode).toBe(404);
    const creation = await call(viewer, 'POST', '/v1/workflows', { ...chain('mine?', []), teamId });
    expect(creation.statusCode).toBe(403);
  });

  it('shows a public workflow to anyone signed in, but not its runs, and lets no one else run or change it', async () => {
    const url = `/v1/workflows/${publicWorkflow.id}`;
    expect((await call(stranger, 'GET', url)).statusCode).toBe(200);
    expect((await call(stranger, 'GET', `${url}/export`)).statusCode).toBe(200);
    expect((await call(stranger, 'PUT', url, chain('taken', []))).statusCode).toBe(403);
    expect((await call(stranger, 'POST', `${url}/run`, { input: [] })).statusCode).toBe(403);
    expect((await call(stranger, 'GET', `/v1/executions/${executionId}`)).statusCode).toBe(404);
    expect((await call(stranger, 'POST', `/v1/executions/${executionId}/cancel`)).statusCode).toBe(404);
    const listed = await call(stranger, 'GET', `/v1/executions?workflowId=${publicWorkflow.id}`);
    expect(listed.json().items).toEqual([]);
    expect((await call(owner, 'GET', `/v1/executions/${executionId}`)).statusCode).toBe(200);
  });

  it('refuses tokens without the workflow permissions', async () => {
    const reader = await h.tokens.mint({ perms: ['workflows.read'] });
    expect((await call(reader, 'POST', '/v1/workflows', chain('nope', []))).statusCode).toBe(403);
    const mine = await createWorkflow(h, owner.token, chain('owner only', []));
    const noRights = await h.tokens.mint({ userId: owner.userId, perms: ['kb.read'] });
    expect((await call(noRights, 'GET', `/v1/workflows/${mine.id}`)).statusCode).toBe(404);
  });
});

describe('row-level security', () => {
  it('is forced on every table holding user data, and the runtime role sees nothing without an actor', async () => {
    const tables = await h.admin`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) as owner
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'workflow' and c.relkind = 'r'
        and c.relname not in ('__migrations', 'outbox', 'processed_events', 'failed_jobs')`;
    expect(tables.map((t) => t.relname).sort()).toEqual(
      [
        'automation_runs',
        'execution_data',
        'integrations',
        'system_automations',
        'user_integrations',
        'node_executions',
        'workflow_connections',
        'workflow_credentials',
        'workflow_executions',
        'workflow_nodes',
        'workflow_shares',
        'workflow_templates',
        'workflow_versions',
        'workflows',
      ].sort(),
    );
    for (const table of tables) {
      expect(table, table.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
      expect(table.owner).not.toBe('workflow_app');
    }
    const app = postgres(h.database.appUrl, { max: 1, onnotice: () => {} });
    try {
      for (const table of tables) {
        const [row] = await app.unsafe(`select count(*)::int as n from workflow.${table.relname}`);
        expect(row!.n, table.relname).toBe(0);
      }
      // As a stranger: the public workflow's graph, none of its executions, nothing of the team's.
      const seen = await app.begin(async (tx) => {
        await tx`select set_config('app.user_id', ${stranger.userId}, true)`;
        return {
          workflows: (await tx`select id from workflow.workflows`).map((r) => r.id),
          executions: (await tx`select id from workflow.workflow_executions`).length,
          nodes: (await tx`select count(*)::int as n from workflow.node_executions`)[0]!.n,
          forged: await tx`update workflow.workflows set name = 'forged' returning id`,
        };
      });
      expect(seen).toEqual({ workflows: [publicWorkflow.id], executions: 0, nodes: 0, forged: [] });
      // As a viewer of the team: reads the team's workflow, changes nothing of it.
      const asViewer = await app.begin(async (tx) => {
        await tx`select set_config('app.user_id', ${viewer.userId}, true), set_config('app.team_ids', ${teamId}, true)`;
        return {
          read: (await tx`select id from workflow.workflows where id = ${teamWorkflow.id}`).length,
          changed: (
            await tx`update workflow.workflows set name = 'x' where id = ${teamWorkflow.id} returning id`
          ).length,
          deletedNodes: (
            await tx`delete from workflow.workflow_nodes where workflow_id = ${teamWorkflow.id} returning id`
          ).length,
        };
      });
      expect(asViewer).toEqual({ read: 1, changed: 0, deletedNodes: 0 });
    } finally {
      await app.end({ timeout: 5 });
    }
  });
});
