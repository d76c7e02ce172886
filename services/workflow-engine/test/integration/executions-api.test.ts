import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneExecutions } from '../../src/domain/executions/prune-executions.js';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
import {
  callAs,
  chain,
  changeWorkflow,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

let h: WorkflowHarness;
let sink: HttpSink;
type User = { token: string; userId: string };
const teamId = randomUUID();
let owner: User;
let viewer: User;
let stranger: User;

beforeAll(async () => {
  [h, sink] = await Promise.all([startWorkflowHarness(), startHttpSink()]);
  owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
  viewer = await h.tokens.mint({ teams: { [teamId]: 'viewer' } });
  stranger = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await Promise.all([h?.close(), sink?.close()]);
}, 30_000);

const call = (user: User, method: string, url: string, payload?: object) =>
  callAs(h, user, method, url, payload);

/** Server-sent events as [event, data] pairs. */
const parseEvents = (text: string) =>
  text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return [eventLine!.slice(7), JSON.parse(dataLine!.slice(6))] as [
        string,
        { status: string; nodes?: unknown[] },
      ];
    });

describe('live progress', () => {
  it('streams the execution as it changes, then its end', async () => {
    const workflow = await createWorkflow(h, owner.token, {
      ...chain('slow', [
        { name: 'Pause', type: 'wait', config: { amount: 1 } },
        { name: 'Mark', type: 'set', config: { fields: [{ name: 'done', value: true }] } },
      ]),
      teamId,
    });
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    const res = await call(viewer, 'GET', `/v1/executions/${executionId}/stream`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = parseEvents(res.body);
    expect(events.at(-1)).toEqual(['end', { id: executionId, status: 'success' }]);
    const statuses = events.filter(([event]) => event === 'execution').map(([, data]) => data.status);
    expect(statuses).toContain('waiting');
    expect(statuses.at(-1)).toBe('success');
    const nodeCounts = events
      .filter(([event]) => event === 'execution')
      .map(([, data]) => data.nodes!.length);
    expect(nodeCounts).toEqual([...nodeCounts].sort((a, b) => a - b));
    expect(nodeCounts.at(-1)).toBe(3);
    expect((await call(stranger, 'GET', `/v1/executions/${executionId}/stream`)).statusCode).toBe(404);
  });
});

describe('retries', () => {
  it('from the failed node: same version, settled nodes reused; from the start: current version', async () => {
    sink.fail.set('/flaky', 1);
    const document = chain('retry me', [
      {
        name: 'Record',
        type: 'http-request',
        config: { method: 'POST', url: `${sink.url}/record`, body: {} },
      },
      { name: 'Flaky', type: 'http-request', config: { method: 'POST', url: `${sink.url}/flaky`, body: {} } },
      { name: 'Done', type: 'set', config: { fields: [{ name: 'version', value: 1 }] } },
    ]);
    const workflow = await createWorkflow(h, owner.token, { ...document, teamId });
    const failed = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, workflow.id));
    expect(failed).toMatchObject({ status: 'error', errorNode: 'Flaky' });
    const recorded = () => sink.requests.filter((request) => request.path === '/record').length;
    expect(recorded()).toBe(1);

    // A new version meanwhile: the retry from the failed node still runs the version that failed.
    await changeWorkflow(h, owner.token, workflow.id, {
      nodes: document.nodes.map((node) =>
        node.name === 'Done' ? { ...node, config: { fields: [{ name: 'version', value: 2 }] } } : node,
      ),
    });
    expect((await call(viewer, 'POST', `/v1/executions/${failed.id}/retry`, {})).statusCode).toBe(403);
    expect((await call(stranger, 'POST', `/v1/executions/${failed.id}/retry`, {})).statusCode).toBe(404);
    const retried = await call(owner, 'POST', `/v1/executions/${failed.id}/retry`, { mode: 'from-failed' });
    expect(retried.statusCode, retried.body).toBe(202);
    const again = await waitForExecution(h, owner.token, retried.json().executionId);
    expect(again.status).toBe('success');
    expect(again.output).toEqual([expect.objectContaining({ version: 1 })]);
    expect(recorded()).toBe(1);
    const original = failed.nodes.find((node) => node.nodeName === 'Record')!;
    expect(again.nodes.find((node) => node.nodeName === 'Record')).toMatchObject({
      status: 'success',
      output: original.output,
    });
    const detail = await call(owner, 'GET', `/v1/executions/${again.id}`);
    expect(detail.json()).toMatchObject({ retryOf: failed.id, triggerType: 'retry', workflowVersion: 1 });

    const conflict = await call(owner, 'POST', `/v1/executions/${again.id}/retry`, { mode: 'from-failed' });
    expect(conflict.statusCode).toBe(409);
    const fresh = await call(owner, 'POST', `/v1/executions/${failed.id}/retry`, { mode: 'from-start' });
    expect(fresh.statusCode).toBe(202);
    const fromStart = await waitForExecution(h, owner.token, fresh.json().executionId);
    expect(fromStart.status).toBe('success');
    expect(fromStart.output).toEqual([expect.objectContaining({ version: 2 })]);
    expect(recorded()).toBe(2);
  });

  it('refuse an execution that has not finished', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('long wait', [{ name: 'Wait', type: 'wait', config: { amount: 60 } }]),
    );
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    await waitForExecution(h, owner.token, executionId, ['waiting']);
    expect((await call(owner, 'POST', `/v1/executions/${executionId}/retry`, {})).statusCode).toBe(409);
    expect((await call(owner, 'DELETE', `/v1/executions/${executionId}`)).statusCode).toBe(409);
    await call(owner, 'POST', `/v1/executions/${executionId}/cancel`);
  });
});

describe('deleting and pruning', () => {
  it('deletes a finished execution for those who may change the workflow', async () => {
    const workflow = await createWorkflow(h, owner.token, { ...chain('to delete', []), teamId });
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    await waitForExecution(h, owner.token, executionId);
    expect((await call(viewer, 'DELETE', `/v1/executions/${executionId}`)).statusCode).toBe(403);
    expect((await call(stranger, 'DELETE', `/v1/executions/${executionId}`)).statusCode).toBe(404);
    expect((await call(owner, 'DELETE', `/v1/executions/${executionId}`)).statusCode).toBe(204);
    expect((await call(owner, 'GET', `/v1/executions/${executionId}`)).statusCode).toBe(404);
    const [left] =
      await h.admin`select count(*)::int as n from workflow.node_executions where execution_id = ${executionId}`;
    expect(left!.n).toBe(0);
  });

  it('prunes executions finished before the retention period, and only those', async () => {
    const workflow = await createWorkflow(h, owner.token, chain('to prune', []));
    const [old, recent] = [
      await runWorkflow(h, owner.token, workflow.id),
      await runWorkflow(h, owner.token, workflow.id),
    ];
    await waitForExecution(h, owner.token, old);
    await waitForExecution(h, owner.token, recent);
    const days = h.env.EXECUTION_RETENTION_DAYS;
    await h.admin`update workflow.workflow_executions
      set finished_at = now() - make_interval(days => ${days + 1}) where id = ${old}`;
    // A queued execution created long ago is not finished: it stays.
    const [stuck] = await h.admin`insert into workflow.workflow_executions
      (id, workflow_id, workflow_version, status, trigger_type, trigger_node_id, created_at)
      select ${randomUUID()}, id, version, 'waiting', 'manual', ${workflow.nodes[0]!.id}, now() - interval '400 days'
      from workflow.workflows where id = ${workflow.id} returning id`;
    expect(await pruneExecutions(h.deps)).toBeGreaterThanOrEqual(1);
    const ids = (
      await h.admin`select id from workflow.workflow_executions where workflow_id = ${workflow.id}`
    ).map((row) => row.id);
    expect(ids.sort()).toEqual([recent, stuck!.id].sort());
    const schedulers = await h.deps.jobs.queue.getJobSchedulers();
    expect(schedulers.map((scheduler) => scheduler.key)).toContain('prune-executions');
  });
});

describe('error workflows', () => {
  it('run with the failed execution summed up, once per failure', async () => {
    const handler = await createWorkflow(
      h,
      owner.token,
      chain('on failure', [
        {
          name: 'Note',
          type: 'set',
          config: { fields: [{ name: 'failedAt', value: '{{ execution.errorNode }}' }] },
        },
      ]),
    );
    const failing = await createWorkflow(h, owner.token, {
      ...chain('fails', [{ name: 'Boom', type: 'stop-and-error', config: { message: 'it broke' } }]),
      settings: { errorWorkflowId: handler.id },
    });
    const failed = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, failing.id));
    expect(failed.status).toBe('error');
    const deadline = Date.now() + 15_000;
    let runs: { id: string }[] = [];
    while (!runs.length) {
      runs = await h.admin`select id from workflow.workflow_executions
        where workflow_id = ${handler.id} and trigger_type = 'error'`;
      if (Date.now() > deadline) throw new Error('the error workflow did not run');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const run = await waitForExecution(h, owner.token, runs[0]!.id);
    expect(run.status).toBe('success');
    expect(run.output).toEqual([
      {
        execution: {
          id: failed.id,
          workflowId: failing.id,
          workflowName: 'fails',
          error: 'it broke',
          errorNode: 'Boom',
          triggerType: 'manual',
        },
        failedAt: 'Boom',
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(
      await h.admin`select id from workflow.workflow_executions where workflow_id = ${handler.id}`,
    ).toHaveLength(1);
  });

  it('must be a workflow the saver may run, not the workflow itself', async () => {
    const theirs = await createWorkflow(h, stranger.token, chain('not yours', []));
    const res = await call(owner, 'POST', '/v1/workflows', {
      ...chain('points elsewhere', []),
      settings: { errorWorkflowId: theirs.id },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'settings.errorWorkflowId' })]);
    const mine = await createWorkflow(h, owner.token, chain('self', []));
    const self = await call(owner, 'PUT', `/v1/workflows/${mine.id}`, {
      ...chain('self', []),
      settings: { errorWorkflowId: mine.id },
    });
    expect(self.statusCode).toBe(422);
  });
});
