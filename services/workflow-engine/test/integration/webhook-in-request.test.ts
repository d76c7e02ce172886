import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
import {
  bearer,
  createWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
} from '../fixtures/workflow-harness.js';

// No worker runs: what is answered here was run in the request, or waits in the queue.
let h: WorkflowHarness;
let sink: HttpSink;
let owner: { token: string; userId: string };

beforeAll(async () => {
  h = await startWorkflowHarness({ worker: false, env: { WEBHOOK_RESPONSE_TIMEOUT: '1s' } });
  sink = await startHttpSink();
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
  await sink?.close();
}, 30_000);

const hookFlow = (name: string, nodes: Record<string, unknown>[], settings?: Record<string, unknown>) => ({
  name,
  status: 'active',
  ...(settings ? { settings } : {}),
  nodes: [
    { name: 'Hook', type: 'webhook', config: { path: 'in', method: 'POST', respond: 'using-node' } },
    ...nodes,
  ],
  connections: [
    { source: 'Hook', target: (nodes[0] as { name: string }).name },
    ...nodes.slice(1).map((node, i) => ({
      source: (nodes[i] as { name: string }).name,
      target: (node as { name: string }).name,
      ...((nodes[i] as { type: string }).type === 'if' ? { type: 'true' } : {}),
    })),
  ],
});

const call = (workflowId: string, payload: unknown) =>
  h.app.inject({ method: 'POST', url: `/v1/hooks/${workflowId}/in`, payload: payload as object });

const recorded = async (workflowId: string) => {
  const executions = await h.admin<{ id: string; status: string; startedAt: Date | null; nodes: number }[]>`
    select e.id, e.status, e.started_at as "startedAt",
      (select count(*)::int from workflow.node_executions n where n.execution_id = e.id) as nodes
    from workflow.workflow_executions e where e.workflow_id = ${workflowId}`;
  const events = await h.admin<{ subject: string }[]>`
    select subject from workflow.outbox where payload->'data'->>'workflowId' = ${workflowId}
      and subject like 'workflow.execution.%' order by created_at, id`;
  return { executions, events: events.map((event) => event.subject) };
};

describe('a webhook whose workflow is all pure nodes', () => {
  it('runs in the request: answered with no worker, recorded whole with its node runs and events', async () => {
    const flow = await createWorkflow(
      h,
      owner.token,
      hookFlow('priced', [
        {
          name: 'Price',
          type: 'set',
          config: { fields: [{ name: 'total', value: '{{ body.qty * body.price }}' }] },
        },
        { name: 'Big?', type: 'if', config: { condition: '{{ total > 100 }}' } },
        {
          name: 'Answer',
          type: 'respond-to-webhook',
          config: { status: 201, body: { total: '{{ total }}' } },
        },
      ]),
    );
    const reservedBefore = h.usage.calls.length;
    const answer = await call(flow.id, { qty: 3, price: 50 });
    expect(answer.statusCode).toBe(201);
    expect(h.usage.calls.slice(reservedBefore)).toEqual([
      { subject: { type: 'user', id: owner.userId }, items: [{ metric: 'executions', amount: 1 }] },
    ]);
    expect(answer.json()).toEqual({ total: 150 });

    const { executions, events } = await recorded(flow.id);
    expect(executions).toEqual([
      { id: expect.any(String), status: 'success', startedAt: expect.any(Date), nodes: 4 },
    ]);
    expect(events).toEqual(['workflow.execution.started', 'workflow.execution.succeeded']);
    // Recorded as a worker's run ends: finished, timed, with its output and answer, each node's run
    // with its items and times.
    const [row] = await h.admin`
      select output_data, response_data, exec_time_ms, finished_at >= started_at as ordered,
        input_data -> 0 -> 'body' as body, workflow_version, trigger_type, user_id
      from workflow.workflow_executions where id = ${executions[0]!.id}`;
    expect(row).toEqual({
      output_data: [expect.objectContaining({ body: { qty: 3, price: 50 }, total: 150 })],
      response_data: { status: 201, headers: {}, body: { total: 150 } },
      exec_time_ms: expect.any(Number),
      ordered: true,
      body: { qty: 3, price: 50 },
      workflow_version: 1,
      trigger_type: 'webhook',
      user_id: null,
    });
    const nodeRuns = await h.admin`
      select node_name, status, attempt, sequence, output_data, finished_at >= started_at as ordered
      from workflow.node_executions where execution_id = ${executions[0]!.id} order by sequence`;
    expect(
      nodeRuns.map((run) => [run.node_name, run.status, run.attempt, run.sequence, run.ordered]),
    ).toEqual([
      ['Hook', 'success', 1, 0, true],
      ['Price', 'success', 1, 1, true],
      ['Big?', 'success', 1, 2, true],
      ['Answer', 'success', 1, 3, true],
    ]);
    expect(nodeRuns[2]!.output_data).toEqual({ true: [expect.objectContaining({ total: 150 })], false: [] });
    const [succeeded] = await h.admin`
      select payload -> 'data' as data from workflow.outbox
      where subject = 'workflow.execution.succeeded' and payload -> 'data' ->> 'executionId' = ${executions[0]!.id}`;
    expect(succeeded!.data).toEqual({
      executionId: executions[0]!.id,
      workflowId: flow.id,
      workflowVersion: 1,
      triggerType: 'webhook',
      execTimeMs: row!.exec_time_ms,
    });
    // Counted on the workflow, and one execution of usage reserved, as for a queued execution.
    const [counted] = await h.admin<{ n: number }[]>`
      select execution_count as n from workflow.workflows where id = ${flow.id}`;
    expect(counted!.n).toBe(1);
    // Read through the API like any other execution, node by node.
    const view = await h.app.inject({
      method: 'GET',
      url: `/v1/executions/${executions[0]!.id}`,
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(view.statusCode).toBe(200);
    expect(view.json().nodes.map((node: { nodeName: string }) => node.nodeName)).toEqual([
      'Hook',
      'Price',
      'Big?',
      'Answer',
    ]);
  });

  it('answers with the output items when no node responds, as a worker run does', async () => {
    const flow = await createWorkflow(
      h,
      owner.token,
      hookFlow('echo', [
        { name: 'Echo', type: 'set', config: { fields: [{ name: 'got', value: '{{ body.n }}' }] } },
      ]),
    );
    const answer = await call(flow.id, { n: 7 });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual([expect.objectContaining({ got: 7 })]);
  });

  it('answers from the version saved last: a new version replaces the one this process keeps', async () => {
    const respondWith = (path: string, word: string) => ({
      name: 'versions',
      status: 'active',
      connections: [{ source: 'Hook', target: 'Answer' }],
      nodes: [
        { name: 'Hook', type: 'webhook', config: { path, method: 'POST', respond: 'using-node' } },
        { name: 'Answer', type: 'respond-to-webhook', config: { body: { word } } },
      ],
    });
    const flow = await createWorkflow(h, owner.token, respondWith('in', 'first'));
    expect((await call(flow.id, {})).json()).toEqual({ word: 'first' });
    // Twice: the second call takes the document kept from the first.
    expect((await call(flow.id, {})).json()).toEqual({ word: 'first' });

    const saved = await h.app.inject({
      method: 'PUT',
      url: `/v1/workflows/${flow.id}`,
      headers: bearer(owner.token),
      payload: respondWith('in', 'second'),
    });
    expect(saved.json()).toMatchObject({ version: 2 });
    expect((await call(flow.id, {})).json()).toEqual({ word: 'second' });

    // A version that moves the hook elsewhere: the old address no longer answers.
    await h.app.inject({
      method: 'PUT',
      url: `/v1/workflows/${flow.id}`,
      headers: bearer(owner.token),
      payload: respondWith('moved', 'third'),
    });
    expect((await call(flow.id, {})).statusCode).toBe(404);
    const moved = await h.app.inject({ method: 'POST', url: `/v1/hooks/${flow.id}/moved`, payload: {} });
    expect(moved.json()).toEqual({ word: 'third' });
  });

  it('keeps items over the inline limit apart, recorded in the same transaction as the runs holding them', async () => {
    const flow = await createWorkflow(
      h,
      owner.token,
      hookFlow('large', [
        {
          name: 'Seen',
          type: 'set',
          config: { fields: [{ name: 'seen', value: 'yes' }] },
        },
      ]),
    );
    // Over ITEM_DATA_INLINE_MAX (256 KiB by default): the input and every node's items are stored apart.
    const text = 'x'.repeat(300 * 1024);
    const answer = await call(flow.id, { text });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual([expect.objectContaining({ seen: 'yes', body: { text } })]);
    const { executions } = await recorded(flow.id);
    expect(executions).toEqual([expect.objectContaining({ status: 'success', nodes: 2 })]);
    const [apart] = await h.admin<{ n: number }[]>`
      select count(*)::int as n from workflow.execution_data where execution_id = ${executions[0]!.id}`;
    expect(apart!.n).toBeGreaterThanOrEqual(3);
  });

  it('records nothing in the request when a node fails: the execution is queued for a worker, which fails it', async () => {
    const flow = await createWorkflow(
      h,
      owner.token,
      hookFlow('broken', [
        { name: 'Broken', type: 'set', config: { fields: [{ name: 'x', value: '{{ $nope() }}' }] } },
      ]),
    );
    const answer = await call(flow.id, {});
    expect(answer.statusCode).toBe(202);
    const queued = await recorded(flow.id);
    expect(queued.executions).toEqual([
      { id: answer.json().executionId, status: 'queued', startedAt: null, nodes: 0 },
    ]);
    expect(queued.events).toEqual([]);

    await h.startWorker();
    try {
      await expect
        .poll(async () => (await recorded(flow.id)).executions[0]?.status, { timeout: 20_000 })
        .toBe('error');
    } finally {
      await h.stopWorker();
    }
  });
});

describe('a webhook whose workflow is not all pure', () => {
  it('goes through the queue when a node has effects or a concurrency limit holds executions', async () => {
    const withEffect = await createWorkflow(
      h,
      owner.token,
      hookFlow('calls out', [
        { name: 'Call', type: 'http-request', config: { url: `${sink.url}/effect`, method: 'POST' } },
      ]),
    );
    const limited = await createWorkflow(
      h,
      owner.token,
      hookFlow('limited', [{ name: 'Echo', type: 'set', config: { fields: [{ name: 'a', value: '1' }] } }], {
        timezone: 'UTC',
        concurrencyLimit: 1,
        errorWorkflowId: null,
      }),
    );
    for (const flow of [withEffect, limited]) {
      const answer = await call(flow.id, {});
      expect(answer.statusCode).toBe(202);
      expect((await recorded(flow.id)).executions).toEqual([
        { id: answer.json().executionId, status: 'queued', startedAt: null, nodes: 0 },
      ]);
    }
    expect(sink.requests).toEqual([]);
  });
});
