import { randomUUID } from 'node:crypto';
import { knowledgeEvents } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chain,
  createWorkflow,
  publishEnvelope,
  publishEvent,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

let h: WorkflowHarness;
let owner: { token: string; userId: string };

beforeAll(async () => {
  h = await startWorkflowHarness();
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `knowledge.document.indexed` as knowledge-base publishes it. */
const publishIndexed = (data: { chunkCount: number; documentId?: string }, occurredAt = new Date()) =>
  publishEvent(
    h,
    knowledgeEvents.documentIndexed,
    {
      documentId: data.documentId ?? randomUUID(),
      collectionId: randomUUID(),
      contentHash: 'sha256:0',
      chunkCount: data.chunkCount,
      revision: 1,
    },
    occurredAt,
  );

const eventRuns = async (workflowId: string) =>
  h.admin`select id, status, input_data from workflow.workflow_executions
    where workflow_id = ${workflowId} and trigger_type = 'event' order by created_at`;

async function waitForEventRuns(workflowId: string, count: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await eventRuns(workflowId);
    if (runs.length >= count && runs.every((run) => run.status === 'success')) return runs;
    if (Date.now() > deadline) throw new Error(`${runs.length} event runs of ${workflowId}, wanted ${count}`);
    await sleep(100);
  }
}

const onIndexed = (name: string, filter?: string) => ({
  name,
  status: 'active',
  nodes: [
    {
      name: 'Indexed',
      type: 'event',
      config: { subject: 'knowledge.document.indexed', ...(filter ? { filter } : {}) },
    },
    { name: 'Note', type: 'set', config: { fields: [{ name: 'doc', value: '{{ data.documentId }}' }] } },
  ],
  connections: [{ source: 'Indexed', target: 'Note' }],
});

describe('outbox events', () => {
  it('announce activations and each execution that starts, succeeds or fails', async () => {
    const fine = await createWorkflow(h, owner.token, { ...chain('fine', []), status: 'active' });
    const failing = await createWorkflow(
      h,
      owner.token,
      chain('failing', [{ name: 'Boom', type: 'stop-and-error', config: { message: 'no luck' } }]),
    );
    const ok = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, fine.id));
    const bad = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, failing.id));
    expect([ok.status, bad.status]).toEqual(['success', 'error']);

    const deadline = Date.now() + 10_000;
    let rows: { subject: string; payload: { data: Record<string, unknown> }; published: boolean }[] = [];
    for (;;) {
      rows = (await h.admin`select subject, payload, published_at is not null as published
        from workflow.outbox order by created_at`) as unknown as typeof rows;
      if (rows.length >= 5 && rows.every((row) => row.published)) break;
      if (Date.now() > deadline) throw new Error(`outbox: ${JSON.stringify(rows.map((r) => r.subject))}`);
      await sleep(100);
    }
    const of = (executionId: string) =>
      rows.filter((row) => row.payload.data.executionId === executionId).map((row) => row.subject);
    expect(of(ok.id)).toEqual(['workflow.execution.started', 'workflow.execution.succeeded']);
    expect(of(bad.id)).toEqual(['workflow.execution.started', 'workflow.execution.failed']);
    expect(rows.find((row) => row.subject === 'workflow.execution.failed')?.payload.data).toMatchObject({
      workflowId: failing.id,
      error: 'no luck',
      errorNode: 'Boom',
      triggerType: 'manual',
    });
    expect(rows.filter((row) => row.subject === 'workflow.workflow.activated')).toHaveLength(1);
    // On the bus, in the engine's own stream.
    const stream = `${h.childEnv.BUS_NAMESPACE!.toUpperCase()}_WORKFLOW`;
    const last = await h.bus.jsm.streams.getMessage(stream, {
      last_by_subj: h.bus.subject('workflow.execution.failed'),
    });
    expect(last.json<{ data: { executionId: string } }>().data.executionId).toBe(bad.id);
  });
});

describe('event triggers', () => {
  it('start an active workflow once per matching event, from its activation on', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      onIndexed('on indexed', '{{ data.chunkCount > 0 }}'),
    );
    const paused = await createWorkflow(h, owner.token, { ...onIndexed('paused'), status: 'paused' });
    const before = await publishIndexed({ chunkCount: 9 }, new Date(Date.now() - 3_600_000));
    const matching = await publishIndexed({ chunkCount: 3 });
    await publishIndexed({ chunkCount: 0 });
    // The same event delivered again (a producer's retry past the de-duplication window).
    await publishEnvelope(h, matching, randomUUID());

    const [run] = await waitForEventRuns(workflow.id, 1);
    await sleep(1500);
    const runs = await eventRuns(workflow.id);
    expect(runs).toHaveLength(1);
    expect(run!.input_data[0]).toMatchObject({ id: matching.id, subject: 'knowledge.document.indexed' });
    const execution = await waitForExecution(h, owner.token, run!.id);
    expect(execution.output).toEqual([expect.objectContaining({ doc: matching.data.documentId })]);
    expect(runs.some((r) => r.input_data[0].id === before.id)).toBe(false);
    expect(await eventRuns(paused.id)).toHaveLength(0);
  });

  it('read the events published while the engine was stopped once it is back', async () => {
    const workflow = await createWorkflow(h, owner.token, onIndexed('catch up'));
    await h.stopWorker();
    try {
      const missed = [await publishIndexed({ chunkCount: 1 }), await publishIndexed({ chunkCount: 2 })];
      await sleep(500);
      expect(await eventRuns(workflow.id)).toHaveLength(0);
      await h.startWorker();
      const runs = await waitForEventRuns(workflow.id, 2);
      expect(runs.map((run) => run.input_data[0].id).sort()).toEqual(missed.map((e) => e.id).sort());
    } finally {
      await h.startWorker();
    }
  });

  it('start each event of one batch for the triggers of its own subject only', async () => {
    const onIndexedRun = await createWorkflow(h, owner.token, onIndexed('batch: indexed'));
    const onFailed = await createWorkflow(h, owner.token, {
      ...onIndexed('batch: failed'),
      nodes: [
        { name: 'Indexed', type: 'event', config: { subject: 'knowledge.document.failed' } },
        { name: 'Note', type: 'set', config: { fields: [{ name: 'doc', value: '{{ data.documentId }}' }] } },
      ],
    });
    // Published while the worker is stopped, they reach it together, in one batch.
    await h.stopWorker();
    let published: { id: string }[];
    try {
      const failed = () =>
        publishEvent(h, knowledgeEvents.documentFailed, {
          documentId: randomUUID(),
          collectionId: randomUUID(),
          error: 'unsupported file',
          attempts: 3,
        });
      published = [
        await publishIndexed({ chunkCount: 1 }),
        await failed(),
        await publishIndexed({ chunkCount: 2 }, new Date(Date.now() - 3_600_000)),
        await failed(),
        await publishIndexed({ chunkCount: 3 }),
      ];
    } finally {
      await h.startWorker();
    }
    const ids = (runs: Awaited<ReturnType<typeof eventRuns>>) =>
      runs.map((run) => run.input_data[0].id as string).sort();
    const [first, second, early, fourth, fifth] = published.map((event) => event.id);
    expect(ids(await waitForEventRuns(onIndexedRun.id, 2))).toEqual([first, fifth].sort());
    expect(ids(await waitForEventRuns(onFailed.id, 2))).toEqual([second, fourth].sort());
    await sleep(1000);
    expect(ids(await eventRuns(onIndexedRun.id))).not.toContain(early);
    expect(await eventRuns(onIndexedRun.id)).toHaveLength(2);
    expect(await eventRuns(onFailed.id)).toHaveLength(2);
  });

  it('follow other workflows through their execution events, never their own', async () => {
    const watched = await createWorkflow(h, owner.token, chain('watched', []));
    const watcher = await createWorkflow(h, owner.token, {
      name: 'watcher',
      status: 'active',
      nodes: [
        {
          name: 'Succeeded',
          type: 'event',
          config: { subject: 'workflow.execution.succeeded' },
        },
        { name: 'Seen', type: 'set', config: { fields: [{ name: 'of', value: '{{ data.workflowId }}' }] } },
      ],
      connections: [{ source: 'Succeeded', target: 'Seen' }],
    });
    // The earlier tests' executions may still succeed after the watcher became active, under load:
    // those runs are of other workflows, so the runs are told apart by the workflow they saw.
    const runsOf = (workflowId: string) =>
      eventRuns(watcher.id).then((runs) =>
        runs.filter((run) => JSON.stringify(run.input_data).includes(workflowId)),
      );
    await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, watched.id));
    const deadline = Date.now() + 15_000;
    while (!(await runsOf(watched.id)).length && Date.now() < deadline) await sleep(100);
    const [run] = await runsOf(watched.id);
    expect((await waitForExecution(h, owner.token, run!.id)).output).toEqual([
      expect.objectContaining({ of: watched.id }),
    ]);
    // The watcher's own success is an event of the same subject: it does not start it again.
    await sleep(1500);
    expect(await runsOf(watched.id)).toHaveLength(1);
    expect(await runsOf(watcher.id)).toEqual([]);
  });

  it('refuse a subject outside the event catalog and a filter that is not an expression', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { authorization: `Bearer ${owner.token}` },
      payload: {
        name: 'bad',
        nodes: [
          { name: 'A', type: 'event', config: { subject: 'billing.invoice.paid' } },
          { name: 'B', type: 'event', config: { subject: 'identity.user.registered', filter: 'data.x = 1' } },
        ],
      },
    });
    expect(res.statusCode).toBe(422);
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['nodes.0.config.subject', 'nodes.1.config.filter']));
  });
});
