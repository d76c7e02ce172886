import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
import { exited, workerProcesses } from '../fixtures/worker-process.js';
import {
  chain,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

// Workers as production runs them (src/worker.ts, each a process of its own), killed with SIGKILL
// while an execution waits or while a node runs, and started again.
let h: WorkflowHarness;
let sink: HttpSink;
let owner: { token: string; userId: string };
// Short locks: a dead worker's job is taken over within a second or two.
const workers = workerProcesses(() => h);
// Workers that give a job up after it was taken over from a dead worker once.
const impatientWorkers = workerProcesses(() => h, { JOB_MAX_STALLED: '1' });

beforeAll(async () => {
  [h, sink] = await Promise.all([
    startWorkflowHarness({ worker: false, env: { JOB_LOCK_DURATION: '1s', JOB_STALLED_INTERVAL: '500ms' } }),
    startHttpSink(),
  ]);
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await workers.stopAll();
  await impatientWorkers.stopAll();
  await Promise.all([h?.close(), sink?.close()]);
}, 30_000);

const poll = async <T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const state =
        await h.admin`select e.status, e.error_message, n.node_name, n.status as node_status, n.attempt
        from workflow.workflow_executions e left join workflow.node_executions n on n.execution_id = e.id
        order by e.created_at desc limit 5`;
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(state)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('a wait across a worker killed while it waits', () => {
  it('resumes once its time has come, on a new worker, at the wait node, which runs once', async () => {
    try {
      await resumesAcrossRestart();
    } finally {
      await workers.stopAll();
    }
  }, 120_000);
});

async function resumesAcrossRestart() {
  const workflow = await createWorkflow(
    h,
    owner.token,
    chain('two seconds across a crash', [
      { name: 'Pause', type: 'wait', config: { amount: 2 } },
      { name: 'After', type: 'set', config: { fields: [{ name: 'after', value: true }] } },
    ]),
  );
  const first = workers.start();
  const executionId = await runWorkflow(h, owner.token, workflow.id);
  await waitForExecution(h, owner.token, executionId, ['waiting'], 60_000);
  const [parked] = await h.admin`select started_at, resume_at from workflow.node_executions
    where execution_id = ${executionId} and node_name = 'Pause'`;
  // Nothing holds the execution while it waits: the worker that parked it dies, a new one starts.
  first.kill('SIGKILL');
  await exited(first);
  workers.start();

  const done = await waitForExecution(h, owner.token, executionId, ['success', 'error'], 60_000);
  expect(done.status).toBe('success');
  expect(done.output).toEqual([expect.objectContaining({ after: true })]);
  const [row] = await h.admin`select finished_at from workflow.workflow_executions where id = ${executionId}`;
  const [pause] = await h.admin`select status, attempt from workflow.node_executions
    where execution_id = ${executionId} and node_name = 'Pause'`;
  // Resumed no earlier than its time; within 2-3 s of the wait's start on a quiet machine, but a
  // new worker process takes seconds to start on a loaded one, so the bound here is generous.
  const resumedAfter = row!.finished_at.getTime() - parked!.started_at.getTime();
  expect(resumedAfter).toBeGreaterThanOrEqual(2000);
  expect(resumedAfter).toBeLessThan(60_000);
  expect(parked!.resume_at.getTime() - parked!.started_at.getTime()).toBeGreaterThanOrEqual(1900);
  // The wait node ran once: the continuation is the same try, not a new one.
  expect(pause).toMatchObject({ status: 'success', attempt: 1 });
}

describe('an execution whose job stalls past its limit', () => {
  it('fails with a clear error instead of staying running, and stays failed', async () => {
    try {
      await givenUpAfterStalls();
    } finally {
      await impatientWorkers.stopAll();
      sink.delayMs = 0;
    }
  }, 150_000);
});

async function givenUpAfterStalls() {
  // Each call hangs far longer than the test: only a kill ends a try of this node.
  sink.delayMs = 120_000;
  const workflow = await createWorkflow(
    h,
    owner.token,
    chain('hangs', [
      { name: 'Slow', type: 'http-request', config: { method: 'POST', url: `${sink.url}/slow` } },
    ]),
  );
  const executionId = await runWorkflow(h, owner.token, workflow.id);
  const attemptOf = async () => {
    const [row] = await h.admin`select attempt from workflow.node_executions
      where execution_id = ${executionId} and node_name = 'Slow' and status = 'running'`;
    return row?.attempt as number | undefined;
  };
  // Killed during the node, twice: the job is taken over once (its limit), then stalls again.
  for (const attempt of [1, 2]) {
    const worker = impatientWorkers.start();
    await poll(
      async () => ((await attemptOf()) === attempt ? true : undefined),
      `try ${attempt} of the node`,
    );
    await poll(
      async () => (sink.requests.length >= attempt ? true : undefined),
      `request ${attempt} at the sink`,
    );
    worker.kill('SIGKILL');
    await exited(worker);
  }
  impatientWorkers.start();

  const failed = await waitForExecution(
    h,
    owner.token,
    executionId,
    ['error', 'success', 'canceled'],
    60_000,
  );
  expect(failed).toMatchObject({ status: 'error', errorNode: 'Slow' });
  expect(failed.error).toMatch(/stalled/);
  const [recorded] = await h.admin`select error from workflow.failed_jobs
    where payload->>'executionId' = ${executionId}`;
  expect(recorded!.error).toMatch(/stalled/);
  // A finished execution is never relabelled: it stays failed while the workers go on.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const [after] = await h.admin`select status from workflow.workflow_executions where id = ${executionId}`;
  expect(after!.status).toBe('error');
}
