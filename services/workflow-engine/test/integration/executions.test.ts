import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
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
let sink: HttpSink;
let owner: { token: string; userId: string };

beforeAll(async () => {
  h = await startWorkflowHarness();
  sink = await startHttpSink();
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
  await sink?.close();
}, 30_000);

const nodeOutput = (execution: Awaited<ReturnType<typeof waitForExecution>>, name: string) =>
  execution.nodes.find((node) => node.nodeName === name)?.output;

describe('running a workflow', () => {
  it('runs set, if, switch and merge over the items, committing each node', async () => {
    const workflow = await createWorkflow(h, owner.token, {
      name: 'routing',
      nodes: [
        { name: 'Start', type: 'manual' },
        {
          name: 'Price',
          type: 'set',
          config: {
            fields: [
              { name: 'total', value: '{{ qty * price }}' },
              { name: 'label', value: 'order {{ id }}' },
            ],
          },
        },
        { name: 'Big?', type: 'if', config: { condition: '{{ total > 100 }}' } },
        { name: 'Tier', type: 'switch', config: { rules: [{ condition: '{{ total > 1000 }}' }] } },
        { name: 'Small', type: 'set', config: { fields: [{ name: 'tier', value: 'small' }] } },
        { name: 'Huge', type: 'set', config: { fields: [{ name: 'tier', value: 'huge' }] } },
        {
          name: 'Big',
          type: 'set',
          config: {
            fields: [
              { name: 'tier', value: 'big' },
              { name: 'first', value: '{{ $node.Price.json.id }}' },
            ],
          },
        },
        { name: 'All', type: 'merge', config: { inputs: 3 } },
      ],
      connections: [
        { source: 'Start', target: 'Price' },
        { source: 'Price', target: 'Big?' },
        { source: 'Big?', type: 'false', target: 'Small' },
        { source: 'Big?', type: 'true', target: 'Tier' },
        { source: 'Tier', type: 'case:0', target: 'Huge' },
        { source: 'Tier', type: 'default', target: 'Big' },
        { source: 'Small', target: 'All', targetInput: 0 },
        { source: 'Big', target: 'All', targetInput: 1 },
        { source: 'Huge', target: 'All', targetInput: 2 },
      ],
    });
    const executionId = await runWorkflow(h, owner.token, workflow.id, [
      { id: 1, qty: 1, price: 10 },
      { id: 2, qty: 5, price: 30 },
      { id: 3, qty: 100, price: 30 },
    ]);
    const execution = await waitForExecution(h, owner.token, executionId);
    expect(execution.status).toBe('success');
    expect(nodeOutput(execution, 'Big?')).toMatchObject({ true: [{ id: 2 }, { id: 3 }], false: [{ id: 1 }] });
    expect(execution.output).toEqual([
      { id: 1, qty: 1, price: 10, total: 10, label: 'order 1', tier: 'small' },
      { id: 2, qty: 5, price: 30, total: 150, label: 'order 2', tier: 'big', first: 1 },
      { id: 3, qty: 100, price: 30, total: 3000, label: 'order 3', tier: 'huge' },
    ]);
    expect(execution.nodes.map((n) => [n.nodeName, n.status, n.attempt])).toEqual([
      ['Start', 'success', 1],
      ['Price', 'success', 1],
      ['Big?', 'success', 1],
      ['Tier', 'success', 1],
      ['Small', 'success', 1],
      ['Huge', 'success', 1],
      ['Big', 'success', 1],
      ['All', 'success', 1],
    ]);
    const [row] = await h.admin`select execution_count from workflow.workflows where id = ${workflow.id}`;
    expect(row!.execution_count).toBe(1);
    expect(h.usage.calls.map((call) => call.subject)).toContainEqual({ type: 'user', id: owner.userId });
  });

  it('retries an http-request with backoff, sending the same Idempotency-Key each time', async () => {
    sink.fail.set('/flaky', 2);
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain(
        'flaky',
        [
          {
            name: 'Call',
            type: 'http-request',
            config: { method: 'POST', url: `${sink.url}/flaky`, body: { order: '{{ id }}' } },
          },
        ],
        {},
      ),
    );
    // Retry settings are per node.
    const document = (
      await h.app.inject({ method: 'GET', url: `/v1/workflows/${workflow.id}`, headers: bearer(owner.token) })
    ).json();
    document.nodes[1].retry = { maxTries: 3, waitBetweenTriesMs: 50 };
    const {
      id: _,
      ownerUserId: __,
      teamId: ___,
      version: ____,
      executionCount: _____,
      createdAt: ______,
      updatedAt: _______,
      ...body
    } = document;
    expect(
      (
        await h.app.inject({
          method: 'PUT',
          url: `/v1/workflows/${workflow.id}`,
          headers: bearer(owner.token),
          payload: body,
        })
      ).statusCode,
    ).toBe(200);

    const executionId = await runWorkflow(h, owner.token, workflow.id, [{ id: 7 }]);
    const execution = await waitForExecution(h, owner.token, executionId);
    expect(execution.status).toBe('success');
    const call = execution.nodes.find((n) => n.nodeName === 'Call')!;
    expect(call.attempt).toBe(3);
    const sent = sink.requests.filter((r) => r.path === '/flaky');
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((r) => r.idempotencyKey))).toEqual(
      new Set([`${executionId}:${workflow.nodes[1]!.id}:0`]),
    );
    expect(call.output).toEqual({ main: [{ status: 200, body: { ok: true, echo: { order: 7 } } }] });
  });

  it('fails the execution at a stop-and-error node, naming it, and honours on-error continue and error-output', async () => {
    const stop = await createWorkflow(
      h,
      owner.token,
      chain('stops', [{ name: 'Halt', type: 'stop-and-error', config: { message: 'bad order {{ id }}' } }]),
    );
    const stopped = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, stop.id, [{ id: 9 }]),
    );
    expect(stopped).toMatchObject({ status: 'error', error: 'bad order 9', errorNode: 'Halt' });

    sink.fail.set('/down', 100);
    const routed = await createWorkflow(h, owner.token, {
      name: 'error output',
      nodes: [
        { name: 'Start', type: 'manual' },
        { name: 'Call', type: 'http-request', config: { url: `${sink.url}/down` }, onError: 'error-output' },
        { name: 'Handle', type: 'set', config: { fields: [{ name: 'handled', value: true }] } },
        { name: 'Skip', type: 'http-request', config: { url: `${sink.url}/down` }, onError: 'continue' },
      ],
      connections: [
        { source: 'Start', target: 'Call' },
        { source: 'Call', type: 'error', target: 'Handle' },
        { source: 'Handle', target: 'Skip' },
      ],
    });
    const execution = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, routed.id, [{ id: 1 }]),
    );
    expect(execution.status).toBe('success');
    expect(execution.output).toEqual([
      { id: 1, error: expect.stringContaining('answered 500'), handled: true },
    ]);
    expect(execution.nodes.find((n) => n.nodeName === 'Skip')).toMatchObject({
      status: 'error',
      error: expect.stringContaining('500'),
    });
  });

  it('runs a BASIC code node with its step limit', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('script', [
        { name: 'Double', type: 'code', config: { script: 'doubled = n * 2\nlabel = "n=" + n' } },
      ]),
    );
    const execution = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [{ n: 21 }]),
    );
    expect(execution.status).toBe('success');
    expect(execution.output).toEqual([expect.objectContaining({ doubled: 42, label: 'n=21' })]);

    const endless = await createWorkflow(
      h,
      owner.token,
      chain('endless', [
        {
          name: 'Spin',
          type: 'code',
          config: { script: 'DO WHILE 1 = 1\nx = x + 1\nLOOP', maxSteps: 10000 },
        },
      ]),
    );
    const stopped = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, endless.id));
    expect(stopped).toMatchObject({
      status: 'error',
      errorNode: 'Spin',
      error: expect.stringContaining('10000 steps'),
    });
  });

  it('fails cleanly on expressions that try to leave the sandbox or run too long', async () => {
    const attempts = [
      '{{ constructor }}',
      '{{ $string.constructor("return process")() }}',
      '{{ ($f := {}.constructor.constructor; $f("return process")()) }}',
      '{{ __proto__ }}',
      '{{ $sum([1..9999999].($ * $)) }}',
      '{{ ($loop := function($n){ $loop($n + 1) }; $loop(0)) }}',
    ];
    for (const value of attempts) {
      const workflow = await createWorkflow(
        h,
        owner.token,
        chain('escape', [{ name: 'Try', type: 'set', config: { fields: [{ name: 'x', value }] } }]),
      );
      const execution = await waitForExecution(
        h,
        owner.token,
        await runWorkflow(h, owner.token, workflow.id),
      );
      if (execution.status === 'success') expect(execution.output, value).toEqual([{ x: null }]);
      else
        expect(execution, value).toMatchObject({
          status: 'error',
          errorNode: 'Try',
          error: expect.stringContaining('Expression'),
        });
    }
  }, 60_000);

  it('cuts expressions that loop or recurse without end', async () => {
    for (const value of [
      '{{ $sum([1..9999999].($ * $)) }}',
      '{{ ($loop := function($n){ $loop($n + 1) }; $loop(0)) }}',
    ]) {
      const workflow = await createWorkflow(
        h,
        owner.token,
        chain('runaway', [{ name: 'Try', type: 'set', config: { fields: [{ name: 'x', value }] } }]),
      );
      const execution = await waitForExecution(
        h,
        owner.token,
        await runWorkflow(h, owner.token, workflow.id),
      );
      expect(execution, value).toMatchObject({
        status: 'error',
        errorNode: 'Try',
        // Which budget runs out first depends on the machine's speed; each fails the node cleanly.
        error: expect.stringMatching(/ran longer than|nests deeper than|built a value larger than/),
      });
    }
  });

  it('waits 2 s without holding a worker and resumes within 3 s', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('pause', [
        { name: 'Pause', type: 'wait', config: { amount: 2, unit: 'seconds' } },
        { name: 'After', type: 'set', config: { fields: [{ name: 'resumed', value: true }] } },
      ]),
    );
    const started = Date.now();
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    const waiting = await waitForExecution(h, owner.token, executionId, ['waiting']);
    expect(waiting.nodes.find((n) => n.nodeName === 'Pause')!.status).toBe('waiting');
    const done = await waitForExecution(h, owner.token, executionId);
    const elapsed = Date.now() - started;
    expect(done.status).toBe('success');
    expect(done.output).toEqual([{ resumed: true }]);
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(3500);
  });

  it('cancels a waiting execution, and refuses to relabel a finished one', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('long', [{ name: 'Pause', type: 'wait', config: { amount: 1, unit: 'hours' } }]),
    );
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    await waitForExecution(h, owner.token, executionId, ['waiting']);
    const cancel = () =>
      h.app.inject({
        method: 'POST',
        url: `/v1/executions/${executionId}/cancel`,
        headers: bearer(owner.token),
      });
    const canceled = await cancel();
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json().status).toBe('canceled');
    expect((await cancel()).statusCode).toBe(409);
  });

  it('lists executions with filters', async () => {
    const other = await h.tokens.mint();
    const workflow = await createWorkflow(
      h,
      other.token,
      chain('listed', [{ name: 'Halt', type: 'stop-and-error', config: { message: 'no' } }]),
    );
    const failed = await runWorkflow(h, other.token, workflow.id);
    await waitForExecution(h, other.token, failed);
    const res = await h.app.inject({
      method: 'GET',
      url: `/v1/executions?workflowId=${workflow.id}&status=error&triggerType=manual`,
      headers: bearer(other.token),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((e: { id: string }) => e.id)).toEqual([failed]);
    const none = await h.app.inject({
      method: 'GET',
      url: `/v1/executions?status=success`,
      headers: bearer(other.token),
    });
    expect(none.json().items).toEqual([]);
    // Another user's executions are not theirs to see.
    const foreign = await h.app.inject({
      method: 'GET',
      url: `/v1/executions/${failed}`,
      headers: bearer(owner.token),
    });
    expect(foreign.statusCode).toBe(404);
  });

  it('answers 402 with the balance when no executions are left, and runs nothing', async () => {
    const workflow = await createWorkflow(h, owner.token, chain('unpaid', []));
    h.usage.refuse.set('executions', { remaining: 0, limit: 100 });
    try {
      const res = await h.app.inject({
        method: 'POST',
        url: `/v1/workflows/${workflow.id}/run`,
        headers: bearer(owner.token),
        payload: {},
      });
      expect(res.statusCode).toBe(402);
      expect(res.json()).toMatchObject({ code: 'limit_reached', remaining: 0, limit: 100 });
    } finally {
      h.usage.refuse.delete('executions');
    }
    const [row] =
      await h.admin`select count(*)::int as n from workflow.workflow_executions where workflow_id = ${workflow.id}`;
    expect(row!.n).toBe(0);
  });
});

describe('webhooks', () => {
  it('answers 202 with the execution id, or what respond-to-webhook answers; only when active', async () => {
    const accepted = await createWorkflow(h, owner.token, {
      name: 'hook',
      status: 'active',
      nodes: [
        { name: 'Hook', type: 'webhook', config: { path: 'orders', method: 'POST' } },
        { name: 'Echo', type: 'set', config: { fields: [{ name: 'got', value: '{{ body.n }}' }] } },
      ],
      connections: [{ source: 'Hook', target: 'Echo' }],
    });
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/hooks/${accepted.id}/orders`,
      payload: { n: 5 },
    });
    expect(res.statusCode).toBe(202);
    const done = await waitForExecution(h, owner.token, res.json().executionId);
    expect(done.output).toEqual([expect.objectContaining({ got: 5 })]);
    expect((await h.app.inject({ method: 'GET', url: `/v1/hooks/${accepted.id}/orders` })).statusCode).toBe(
      405,
    );
    expect(
      (await h.app.inject({ method: 'POST', url: `/v1/hooks/${accepted.id}/other`, payload: {} })).statusCode,
    ).toBe(404);

    const responding = await createWorkflow(h, owner.token, {
      name: 'answering hook',
      status: 'active',
      nodes: [
        { name: 'Hook', type: 'webhook', config: { path: 'ask', method: 'POST', respond: 'using-node' } },
        {
          name: 'Answer',
          type: 'respond-to-webhook',
          config: { status: 201, body: { answer: '{{ body.q & "!" }}' }, headers: { 'x-flow': 'yes' } },
        },
      ],
      connections: [{ source: 'Hook', target: 'Answer' }],
    });
    const answered = await h.app.inject({
      method: 'POST',
      url: `/v1/hooks/${responding.id}/ask`,
      payload: { q: 'hi' },
    });
    expect(answered.statusCode).toBe(201);
    expect(answered.json()).toEqual({ answer: 'hi!' });
    expect(answered.headers['x-flow']).toBe('yes');

    const draft = await createWorkflow(h, owner.token, {
      ...chain('draft hook', []),
      nodes: [{ name: 'Hook', type: 'webhook', config: { path: 'x' } }],
    });
    expect(
      (await h.app.inject({ method: 'POST', url: `/v1/hooks/${draft.id}/x`, payload: {} })).statusCode,
    ).toBe(404);
  });
});
