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
type User = { token: string; userId: string };
const teamId = randomUUID();
let owner: User;
let viewer: User;
let runner: User;
let editor: User;
let teamMember: User;
let teamViewer: User;
let lapsed: User;
let stranger: User;
let workflow: { id: string };
let executionId: string;

beforeAll(async () => {
  h = await startWorkflowHarness();
  owner = await h.tokens.mint();
  [viewer, runner, editor, lapsed, stranger] = await Promise.all([
    h.tokens.mint(),
    h.tokens.mint(),
    h.tokens.mint(),
    h.tokens.mint(),
    h.tokens.mint(),
  ]);
  teamMember = await h.tokens.mint({ teams: { [teamId]: 'member' } });
  teamViewer = await h.tokens.mint({ teams: { [teamId]: 'viewer' } });
  workflow = await createWorkflow(h, owner.token, chain('shared flow', []));
  executionId = await runWorkflow(h, owner.token, workflow.id);
  await waitForExecution(h, owner.token, executionId);
  for (const [grantee, permission] of [
    [{ userId: viewer.userId }, 'view'],
    [{ userId: runner.userId }, 'run'],
    [{ userId: editor.userId }, 'edit'],
    [{ teamId }, 'run'],
  ] as const) {
    const res = await call(owner, 'POST', `/v1/workflows/${workflow.id}/shares`, { ...grantee, permission });
    expect(res.statusCode, res.body).toBe(201);
  }
  // A share that has lapsed: given for a moment, then its time passed.
  await call(owner, 'POST', `/v1/workflows/${workflow.id}/shares`, {
    userId: lapsed.userId,
    permission: 'edit',
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
  });
  await h.admin`update workflow.workflow_shares set expires_at = now() - interval '1 second'
    where shared_with_user_id = ${lapsed.userId}`;
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

function call(user: User | undefined, method: string, url: string, payload?: object) {
  return h.app.inject({
    method: method as 'GET',
    url,
    headers: user ? bearer(user.token) : {},
    ...(payload ? { payload } : {}),
  });
}

describe('shares', () => {
  it('give view, run and edit as granted; an expired share gives nothing; only owners manage', async () => {
    const url = `/v1/workflows/${workflow.id}`;
    const save = (name: string) => chain(name, []);
    // [user, read graph, read runs, run, save, delete, list shares]
    const matrix: [string, User, number, number, number, number, number, number][] = [
      ['view share', viewer, 200, 200, 403, 403, 403, 403],
      ['run share', runner, 200, 200, 202, 403, 403, 403],
      ['edit share', editor, 200, 200, 202, 200, 403, 403],
      ['team share, member', teamMember, 200, 200, 202, 403, 403, 403],
      ['team share, viewer', teamViewer, 200, 200, 403, 403, 403, 403],
      ['expired share', lapsed, 404, 404, 404, 404, 404, 404],
      ['stranger', stranger, 404, 404, 404, 404, 404, 404],
    ];
    for (const [who, user, read, runs, run, write, remove, shares] of matrix) {
      expect((await call(user, 'GET', url)).statusCode, `${who} reads`).toBe(read);
      expect((await call(user, 'GET', `/v1/executions/${executionId}`)).statusCode, `${who} sees runs`).toBe(
        runs,
      );
      expect((await call(user, 'POST', `${url}/run`, { input: [] })).statusCode, `${who} runs`).toBe(run);
      expect((await call(user, 'PUT', url, save(`by ${who}`))).statusCode, `${who} saves`).toBe(write);
      expect((await call(user, 'GET', `${url}/shares`)).statusCode, `${who} lists shares`).toBe(shares);
      expect(
        (await call(user, 'POST', `${url}/shares`, { userId: stranger.userId, permission: 'edit' }))
          .statusCode,
        `${who} shares`,
      ).toBe(shares);
      expect((await call(user, 'DELETE', url)).statusCode, `${who} deletes`).toBe(remove);
      const listed = (await call(user, 'GET', '/v1/workflows')).json().items.map((w: { id: string }) => w.id);
      expect(listed.includes(workflow.id), `${who} lists`).toBe(read === 200);
      const runsListed = (await call(user, 'GET', `/v1/executions?workflowId=${workflow.id}`)).json().items;
      expect(runsListed.length > 0, `${who} lists runs`).toBe(runs === 200);
    }
    expect((await call(undefined, 'GET', `${url}/shares`)).statusCode).toBe(401);
  });

  it('let a run share cancel runs but not a view share; an edit share may not make the workflow public', async () => {
    const waiting = await createWorkflow(
      h,
      owner.token,
      chain('waits', [{ name: 'Wait', type: 'wait', config: { amount: 60 } }]),
    );
    await call(owner, 'POST', `/v1/workflows/${waiting.id}/shares`, {
      userId: runner.userId,
      permission: 'run',
    });
    await call(owner, 'POST', `/v1/workflows/${waiting.id}/shares`, {
      userId: viewer.userId,
      permission: 'view',
    });
    const started = await runWorkflow(h, runner.token, waiting.id);
    await waitForExecution(h, runner.token, started, ['waiting']);
    expect((await call(viewer, 'POST', `/v1/executions/${started}/cancel`)).statusCode).toBe(403);
    expect((await call(runner, 'POST', `/v1/executions/${started}/cancel`)).statusCode).toBe(200);
    const [counted] = await h.admin`select execution_count from workflow.workflows where id = ${waiting.id}`;
    expect(counted!.execution_count).toBe(1);

    const made = await call(editor, 'PUT', `/v1/workflows/${workflow.id}`, {
      ...chain('public?', []),
      isPublic: true,
    });
    expect(made.statusCode).toBe(403);
  });

  it('are replaced per grantee, listed with their state, and end when revoked', async () => {
    const url = `/v1/workflows/${workflow.id}/shares`;
    const again = await call(owner, 'POST', url, { userId: viewer.userId, permission: 'run' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ userId: viewer.userId, permission: 'run', active: true });
    const listed = (await call(owner, 'GET', url)).json().items as {
      id: string;
      userId: string;
      active: boolean;
    }[];
    expect(listed.filter((share) => share.userId === viewer.userId)).toHaveLength(1);
    expect(listed.find((share) => share.userId === lapsed.userId)?.active).toBe(false);
    const past = await call(owner, 'POST', url, {
      userId: stranger.userId,
      permission: 'view',
      expiresAt: '2001-01-01T00:00:00Z',
    });
    expect(past.statusCode).toBe(422);
    expect((await call(owner, 'POST', url, { userId: owner.userId, permission: 'view' })).statusCode).toBe(
      422,
    );
    expect(
      (await call(owner, 'POST', url, { userId: viewer.userId, teamId, permission: 'view' })).statusCode,
    ).toBe(400);

    const share = listed.find((s) => s.userId === viewer.userId)!;
    expect((await call(viewer, 'DELETE', `${url}/${share.id}`)).statusCode).toBe(403);
    expect((await call(owner, 'DELETE', `${url}/${share.id}`)).statusCode).toBe(204);
    expect((await call(owner, 'DELETE', `${url}/${share.id}`)).statusCode).toBe(404);
    expect((await call(viewer, 'GET', `/v1/workflows/${workflow.id}`)).statusCode).toBe(404);
  });
});

describe('public workflows', () => {
  it('are copied by anyone signed in into a private draft of their own', async () => {
    const original = await createWorkflow(h, owner.token, { ...chain('public recipe', []), isPublic: true });
    const copied = await call(stranger, 'POST', `/v1/workflows/${original.id}/copy`, {});
    expect(copied.statusCode, copied.body).toBe(201);
    expect(copied.json()).toMatchObject({
      name: 'Copy of public recipe',
      ownerUserId: stranger.userId,
      status: 'draft',
      isPublic: false,
    });
    const mine = copied.json().id as string;
    expect((await call(stranger, 'PUT', `/v1/workflows/${mine}`, chain('my recipe', []))).statusCode).toBe(
      200,
    );
    expect((await call(owner, 'GET', `/v1/workflows/${mine}`)).statusCode).toBe(404);
    const secret = await createWorkflow(h, owner.token, chain('private recipe', []));
    expect((await call(stranger, 'POST', `/v1/workflows/${secret.id}/copy`, {})).statusCode).toBe(404);
    expect((await call(viewer, 'POST', `/v1/workflows/${workflow.id}/copy`, {})).statusCode).toBe(404);
    expect(
      (await call(runner, 'POST', `/v1/workflows/${workflow.id}/copy`, { name: 'mine now' })).statusCode,
    ).toBe(201);
  });
});

describe('row-level security of shares', () => {
  it('shows a shared workflow and its runs to its grantees only while the share lasts', async () => {
    const app = postgres(h.database.appUrl, { max: 1, onnotice: () => {} });
    const as = (userId: string, teams = '', writable = '') =>
      app.begin(async (tx) => {
        await tx`select set_config('app.user_id', ${userId}, true),
          set_config('app.team_ids', ${teams}, true), set_config('app.writable_team_ids', ${writable}, true)`;
        return {
          workflows: (await tx`select id from workflow.workflows where id = ${workflow.id}`).length,
          executions: (
            await tx`select id from workflow.workflow_executions where workflow_id = ${workflow.id}`
          ).length,
          renamed: (
            await tx`update workflow.workflows set name = 'renamed' where id = ${workflow.id} returning id`
          ).length,
          removed: (await tx`delete from workflow.workflows where id = ${workflow.id} returning id`).length,
          shares: (await tx`select id from workflow.workflow_shares where workflow_id = ${workflow.id}`)
            .length,
          sharedAway: (
            await tx`update workflow.workflow_shares set permission = 'edit' where workflow_id = ${workflow.id} returning id`
          ).length,
        };
      });
    try {
      const runnerSees = await as(runner.userId);
      expect(runnerSees).toMatchObject({ workflows: 1, renamed: 0, removed: 0, shares: 1, sharedAway: 0 });
      expect(runnerSees.executions).toBeGreaterThan(0);
      const editorSees = await as(editor.userId);
      expect(editorSees).toMatchObject({ workflows: 1, renamed: 1, removed: 0, sharedAway: 0 });
      expect(await as(lapsed.userId)).toMatchObject({ workflows: 0, executions: 0, renamed: 0, removed: 0 });
      expect(await as(stranger.userId)).toMatchObject({ workflows: 0, executions: 0, shares: 0 });
      // A team viewer reaches the team's run share as a viewer only: reads, changes nothing.
      const viewerOfTeam = await as(teamViewer.userId, teamId, '');
      expect(viewerOfTeam).toMatchObject({ workflows: 1, renamed: 0, removed: 0 });
    } finally {
      await app.end({ timeout: 5 });
    }
  });
});
