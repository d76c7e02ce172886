import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
import { exited, workerProcesses } from '../fixtures/worker-process.js';
import {
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

// The execution worker runs as its own process (src/worker.ts), as in production; the test kills
// it with SIGKILL while executions are half done and starts another one.
let h: WorkflowHarness;
let sink: HttpSink;
let user: { token: string; userId: string };
const workers = workerProcesses(() => h);
const startWorker = () => workers.start();

beforeAll(async () => {
  // Locks are short so that the second worker takes the dead one's executions over within seconds.
  h = await startWorkflowHarness({
    worker: false,
    env: { JOB_LOCK_DURATION: '2s', JOB_STALLED_INTERVAL: '1s' },
  });
  sink = await startHttpSink();
  user = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await workers.stopAll();
  await h?.close();
  await sink?.close();
}, 30_000);

describe('a worker killed mid-execution', () => {
  it('leaves its executions to another worker, which never runs a committed node again', async () => {
    const STEPS = 4;
    const ITEMS = 3;
    const EXECUTIONS = 4;
    // Each call takes 150 ms: a step of three items takes about half a second, an execution two.
    sink.delayMs = 150;
    const steps = Array.from({ length: STEPS }, (_, i) => ({
      name: `Step ${i}`,
      type: 'http-request',
      config: { method: 'POST', url: `${sink.url}/step-${i}`, body: { order: '{{ order }}', step: i } },
    }));
    const workflow = await createWorkflow(h, user.token, {
      name: 'payments',
      nodes: [{ name: 'Start', type: 'manual' }, ...steps],
      connections: [
        { source: 'Start', target: 'Step 0' },
        ...steps.slice(1).map((step, i) => ({ source: steps[i]!.name, target: step.name })),
      ],
    });
    const executions: string[] = [];
    for (let e = 0; e < EXECUTIONS; e++)
      executions.push(
        await runWorkflow(
          h,
          user.token,
          workflow.id,
          Array.from({ length: ITEMS }, (_, i) => ({ order: `${e}-${i}` })),
        ),
      );

    const first = startWorker();
    // Kill it once some nodes have committed and others are still to run.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [progress] = await h.admin`
        select count(*) filter (where status = 'success')::int as done from workflow.node_executions`;
      if (progress!.done >= 4) break;
      if (Date.now() > deadline) throw new Error('the first worker made no progress');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    first.kill('SIGKILL');
    await exited(first);

    const atKill = await h.admin`
      select e.id, e.status, n.node_name, n.status as node_status, n.attempt
      from workflow.workflow_executions e left join workflow.node_executions n on n.execution_id = e.id`;
    const committed = atKill.filter((row) => row.node_status === 'success');
    const finishedAtKill = new Map(
      atKill.filter((row) => ['success', 'error'].includes(row.status)).map((row) => [row.id, row.status]),
    );
    // The kill really landed mid-way: some executions had committed nodes, and not all had finished.
    expect(committed.length).toBeGreaterThan(0);
    expect(finishedAtKill.size).toBeLessThan(EXECUTIONS);

    const second = startWorker();
    for (const id of executions) {
      const done = await waitForExecution(h, user.token, id, ['success', 'error', 'canceled'], 90_000);
      expect(done.status).toBe('success');
    }

    // No finished execution changed status.
    for (const [id, status] of finishedAtKill) {
      const [row] = await h.admin`select status from workflow.workflow_executions where id = ${id}`;
      expect(row!.status).toBe(status);
    }
    // Every request carried its (execution, node, item) key; the sink applied each effect once.
    expect(sink.requests.every((request) => request.idempotencyKey)).toBe(true);
    expect(sink.applied.size).toBe(EXECUTIONS * STEPS * ITEMS);
    const nodes = await h.admin`
      select n.execution_id, n.node_id, n.node_name, n.attempt, n.status
      from workflow.node_executions n where n.node_type = 'http-request'`;
    expect(nodes).toHaveLength(EXECUTIONS * STEPS);
    for (const node of nodes) {
      expect(node.status).toBe('success');
      for (let item = 0; item < ITEMS; item++) {
        const key = `${node.execution_id}:${node.node_id}:${item}`;
        const sent = sink.requests.filter((request) => request.idempotencyKey === key).length;
        expect(sink.applied.has(key)).toBe(true);
        // A node is sent again only by a new attempt (a run cut by the kill), never after its commit.
        expect(sent).toBeGreaterThanOrEqual(1);
        expect(sent).toBeLessThanOrEqual(node.attempt);
      }
    }
    // Nodes committed before the kill ran once and were not run again.
    for (const row of committed) {
      const [after] = await h.admin`
        select attempt from workflow.node_executions n
        join workflow.workflow_executions e on e.id = n.execution_id
        where e.id = ${row.id} and n.node_name = ${row.node_name}`;
      expect(after!.attempt).toBe(row.attempt);
    }

    second.kill('SIGTERM');
    await exited(second);
    expect(second.exitCode).toBe(0);
  }, 150_000);
});
