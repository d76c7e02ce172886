import { randomUUID } from 'node:crypto';
import { type RpcServer, serveRpc } from '@conduit/bus';
import { conversationRpc, knowledgeRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionIdFor } from '../../src/domain/executions/execution-id.js';
import { ownerContext } from '../../src/domain/executions/owner-context.js';
import { runSubWorkflows } from '../../src/domain/executions/sub-workflows.js';
import {
  chain,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

let h: WorkflowHarness;
let owner: { token: string; userId: string };
const servers: RpcServer[] = [];

beforeAll(async () => {
  h = await startWorkflowHarness();
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await h?.close();
}, 30_000);

describe('kb-search', () => {
  it('searches the collections as the workflow owner and puts the hits in each item', async () => {
    const allowed = randomUUID();
    const asked: { userId: string; query: string; collectionIds?: string[] }[] = [];
    // Knowledge-base's search RPC as a real server on the bus: it knows one collection of the owner's.
    servers.push(
      serveRpc(h.bus, knowledgeRpc.search, 'knowledge', async (request) => {
        asked.push(request);
        if (request.userId !== owner.userId || !request.collectionIds?.every((id) => id === allowed))
          throw new DomainError('not_found', 'No such collection.');
        return {
          hits: [
            {
              chunkId: randomUUID(),
              documentId: randomUUID(),
              documentName: 'Refunds.md',
              collectionId: allowed,
              headingPath: ['Refunds'],
              charStart: 0,
              charEnd: 40,
              content: `Refunds take 5 days (asked: ${request.query}).`,
              snippet: '<b>Refunds</b> take 5 days',
              score: 0.9,
              textRank: 1,
              vectorRank: 1,
              textScore: 1.2,
              vectorScore: 0.8,
            },
          ],
        };
      }),
    );
    const search = (collectionIds: string[]) =>
      chain('answer from kb', [
        { name: 'Search', type: 'kb-search', config: { collectionIds, query: '{{ question }}', k: 3 } },
        {
          name: 'Answer',
          type: 'set',
          config: { fields: [{ name: 'answer', value: '{{ hits[0].content }}' }] },
        },
      ]);
    const workflow = await createWorkflow(h, owner.token, search([allowed]));
    const done = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [{ question: 'how long do refunds take?' }]),
    );
    expect(done.status).toBe('success');
    expect(done.output).toEqual([
      expect.objectContaining({ answer: 'Refunds take 5 days (asked: how long do refunds take?).' }),
    ]);
    expect(asked[0]).toMatchObject({ userId: owner.userId, collectionIds: [allowed], k: 3 });

    const refused = await createWorkflow(h, owner.token, search([randomUUID()]));
    const failed = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, refused.id, [{ question: 'q' }]),
    );
    expect(failed).toMatchObject({
      status: 'error',
      errorNode: 'Search',
      error: expect.stringContaining('No such collection'),
    });
    expect(failed.nodes.find((node) => node.nodeName === 'Search')!.attempt).toBe(1);
  });
});

describe('execute-workflow and loop', () => {
  const child = (name: string, extra: { name: string; type: string; config?: unknown }[] = []) =>
    createWorkflow(
      h,
      owner.token,
      chain(name, [
        ...extra,
        { name: 'Double', type: 'set', config: { fields: [{ name: 'doubled', value: '{{ n * 2 }}' }] } },
      ]),
    );
  const subRuns = async (workflowId: string) =>
    h.admin`select id, status, parent_execution_id, depth, input_data from workflow.workflow_executions
      where workflow_id = ${workflowId} and trigger_type = 'subworkflow' order by created_at`;

  it('runs a sub-workflow with all items, or once per item, and emits what it emitted', async () => {
    const doubler = await child('doubler');
    for (const [mode, runs] of [
      ['all-items', 1],
      ['each-item', 2],
    ] as const) {
      const parent = await createWorkflow(
        h,
        owner.token,
        chain(`parent ${mode}`, [
          { name: 'Call', type: 'execute-workflow', config: { workflowId: doubler.id, mode } },
          { name: 'After', type: 'set', config: { fields: [{ name: 'after', value: true }] } },
        ]),
      );
      const done = await waitForExecution(
        h,
        owner.token,
        await runWorkflow(h, owner.token, parent.id, [{ n: 1 }, { n: 2 }]),
      );
      expect(done.status).toBe('success');
      expect(done.output).toEqual([
        expect.objectContaining({ n: 1, doubled: 2, after: true }),
        expect.objectContaining({ n: 2, doubled: 4, after: true }),
      ]);
      const children = (await subRuns(doubler.id)).filter((run) => run.parent_execution_id === done.id);
      expect(children).toHaveLength(runs);
      expect(children.every((run) => run.depth === 1 && run.status === 'success')).toBe(true);
    }
  });

  it('parks the node while a slow sub-workflow runs, and goes on as soon as it ends', async () => {
    const slow = await child('slow doubler', [{ name: 'Pause', type: 'wait', config: { amount: 2 } }]);
    const parent = await createWorkflow(
      h,
      owner.token,
      chain('waits for slow', [{ name: 'Call', type: 'execute-workflow', config: { workflowId: slow.id } }]),
    );
    const executionId = await runWorkflow(h, owner.token, parent.id, [{ n: 5 }]);
    await waitForExecution(h, owner.token, executionId, ['waiting']);
    const done = await waitForExecution(h, owner.token, executionId);
    expect(done.output).toEqual([expect.objectContaining({ doubled: 10 })]);
    const [sub] = await subRuns(slow.id);
    const [times] =
      await h.admin`select finished_at from workflow.workflow_executions where id = ${executionId}`;
    const [subTimes] =
      await h.admin`select finished_at from workflow.workflow_executions where id = ${sub!.id}`;
    // Woken by the sub-workflow's end, not by its next look five seconds on.
    expect(times!.finished_at.getTime() - subTimes!.finished_at.getTime()).toBeLessThan(1500);
  });

  it('cancels the sub-workflows an execution awaits when it is canceled, through every level', async () => {
    const inner = await child('long inner', [{ name: 'Pause', type: 'wait', config: { amount: 60 } }]);
    const middle = await createWorkflow(
      h,
      owner.token,
      chain('middle', [{ name: 'Inner', type: 'execute-workflow', config: { workflowId: inner.id } }]),
    );
    const parent = await createWorkflow(
      h,
      owner.token,
      chain('outer', [{ name: 'Middle', type: 'execute-workflow', config: { workflowId: middle.id } }]),
    );
    const executionId = await runWorkflow(h, owner.token, parent.id, [{ n: 1 }]);
    await waitForExecution(h, owner.token, executionId, ['waiting']);
    const [innerRun] = await subRuns(inner.id);
    const [middleRun] = await subRuns(middle.id);
    await waitForExecution(h, owner.token, innerRun!.id, ['waiting']);
    expect(middleRun!.parent_execution_id).toBe(executionId);

    const canceled = await h.app.inject({
      method: 'POST',
      url: `/v1/executions/${executionId}/cancel`,
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(canceled.statusCode, canceled.body).toBe(200);
    for (const id of [middleRun!.id, innerRun!.id])
      expect((await waitForExecution(h, owner.token, id, ['canceled', 'success', 'error'])).status).toBe(
        'canceled',
      );
    // The parent stays canceled: the end of its sub-workflows does not relabel it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await waitForExecution(h, owner.token, executionId)).status).toBe('canceled');
  });

  it('cancels sub-workflows that start just as their parent is canceled (the cancel looked before they were saved)', async () => {
    const inner = await child('started late', [{ name: 'Pause', type: 'wait', config: { amount: 60 } }]);
    const parent = await createWorkflow(
      h,
      owner.token,
      chain('canceled outer', [
        { name: 'Inner', type: 'execute-workflow', config: { workflowId: inner.id } },
      ]),
    );
    const executionId = await runWorkflow(h, owner.token, parent.id, [{ n: 1 }]);
    await waitForExecution(h, owner.token, executionId, ['waiting']);
    const [first] = await subRuns(inner.id);
    // The moment of the race, replayed in order: the parent is canceled, the cancel finds no
    // sub-workflow yet, and only then does the node start its batch.
    await h.admin`update workflow.workflow_executions set status = 'canceled' where id = ${executionId}`;
    const ownerOfBoth = (await ownerContext(h.deps.db, parent.id))!;
    const nodeId = parent.nodes.find((node) => node.name === 'Inner')!.id;
    await expect(
      runSubWorkflows(
        h.deps,
        ownerOfBoth,
        { executionId, workflowId: parent.id, nodeId, depth: 0 },
        inner.id,
        [[{ n: 2 }]],
      ),
    ).rejects.toThrow('canceled while its sub-workflows were starting');
    const late = executionIdFor(`sub:${executionId}:${nodeId}:0`);
    expect(late).toBe(first!.id);
    expect((await waitForExecution(h, owner.token, late, ['canceled', 'success', 'error'])).status).toBe(
      'canceled',
    );
  });

  it('fails the node when the sub-workflow fails, and stops sub-workflows nesting without end', async () => {
    const failing = await createWorkflow(
      h,
      owner.token,
      chain('fails inside', [{ name: 'Boom', type: 'stop-and-error', config: { message: 'inner trouble' } }]),
    );
    const parent = await createWorkflow(
      h,
      owner.token,
      chain('calls failing', [
        { name: 'Call', type: 'execute-workflow', config: { workflowId: failing.id } },
      ]),
    );
    const failed = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, parent.id));
    expect(failed).toMatchObject({
      status: 'error',
      errorNode: 'Call',
      error: expect.stringContaining('inner trouble'),
    });

    const a = await createWorkflow(h, owner.token, chain('ping', []));
    const b = await createWorkflow(
      h,
      owner.token,
      chain('pong', [{ name: 'Back', type: 'execute-workflow', config: { workflowId: a.id } }]),
    );
    const self = await h.app.inject({
      method: 'PUT',
      url: `/v1/workflows/${a.id}`,
      headers: { authorization: `Bearer ${owner.token}` },
      payload: chain('ping', [{ name: 'Self', type: 'execute-workflow', config: { workflowId: a.id } }]),
    });
    expect(self.statusCode).toBe(422);
    const ping = await h.app.inject({
      method: 'PUT',
      url: `/v1/workflows/${a.id}`,
      headers: { authorization: `Bearer ${owner.token}` },
      payload: chain('ping', [{ name: 'Forth', type: 'execute-workflow', config: { workflowId: b.id } }]),
    });
    expect(ping.statusCode).toBe(200);
    const endless = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, a.id),
      undefined,
      60_000,
    );
    expect(endless).toMatchObject({ status: 'error', error: expect.stringContaining('deeper than 5') });
  });

  it('loops over items in batches through a body workflow, in order', async () => {
    const body = await child('loop body');
    const parent = await createWorkflow(
      h,
      owner.token,
      chain('loops', [
        {
          name: 'Each ten',
          type: 'loop',
          config: { workflowId: body.id, batchSize: 10, items: '{{ numbers }}' },
        },
      ]),
    );
    const numbers = Array.from({ length: 25 }, (_, i) => ({ n: i + 1 }));
    const done = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, parent.id, [{ numbers }]),
    );
    expect(done.status).toBe('success');
    expect((done.output as { doubled: number }[]).map((item) => item.doubled)).toEqual(
      numbers.map(({ n }) => n * 2),
    );
    const batches = (await subRuns(body.id)).filter((run) => run.parent_execution_id === done.id);
    expect(batches.map((run) => run.input_data.length).sort()).toEqual([10, 10, 5]);
  });

  it('may name only workflows the saver may run', async () => {
    const stranger = await h.tokens.mint();
    const theirs = await createWorkflow(h, stranger.token, chain('not yours', []));
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { authorization: `Bearer ${owner.token}` },
      payload: chain('borrows', [{ name: 'Call', type: 'loop', config: { workflowId: theirs.id } }]),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'nodes.1.config.workflowId' })]);
  });
});

describe('llm', () => {
  it('asks (and so charges) once per item, however many tries the node takes', async () => {
    const asked = new Map<string, number>();
    let failedOnce = false;
    // Conversation's completion RPC as a real responder on the bus: the second item's first
    // completion fails as a provider would (internal, so the node tries again).
    servers.push(
      serveRpc(h.bus, conversationRpc.complete, 'conversation', async (request) => {
        asked.set(request.prompt, (asked.get(request.prompt) ?? 0) + 1);
        if (request.prompt === 'Say two' && !failedOnce) {
          failedOnce = true;
          throw new DomainError('internal', 'The model provider failed.');
        }
        return { text: `answer to ${request.prompt}`, model: 'echo', tokens: 3 };
      }),
    );
    const workflow = await createWorkflow(h, owner.token, {
      ...chain('ask twice', []),
      nodes: [
        { name: 'Start', type: 'manual', config: {} },
        {
          name: 'Ask',
          type: 'llm',
          config: { prompt: 'Say {{ word }}', maxTokens: 20 },
          retry: { maxTries: 3, waitBetweenTriesMs: 50 },
        },
      ],
      connections: [{ source: 'Start', target: 'Ask' }],
    });
    const done = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [{ word: 'one' }, { word: 'two' }]),
    );
    expect(done.status).toBe('success');
    expect(done.output).toEqual([
      { word: 'one', completion: 'answer to Say one' },
      { word: 'two', completion: 'answer to Say two' },
    ]);
    expect(done.nodes.find((node) => node.nodeName === 'Ask')!.attempt).toBe(2);
    // The first item's answer from the first try is kept: it is not asked (nor charged) again.
    expect(Object.fromEntries(asked)).toEqual({ 'Say one': 1, 'Say two': 2 });
  });
});
