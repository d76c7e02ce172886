import { randomUUID } from 'node:crypto';
import { startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepExecutions } from '../../src/domain/executions/sweep-executions.js';
import { executionJobId } from '../../src/jobs/catalog.js';
import { workflowService } from '../../src/service.js';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
import {
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
  [h, sink] = await Promise.all([
    startWorkflowHarness({ env: { EXECUTION_ATTEMPTS: '2', EXECUTION_SWEEP_AFTER: '1s' } }),
    startHttpSink(),
  ]);
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await Promise.all([h?.close(), sink?.close()]);
}, 30_000);

describe('an execution whose job runs out of attempts', () => {
  it('fails, naming the node it was at, and is recorded as a failed job', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('doomed', [{ name: 'Pause', type: 'wait', config: { amount: 0.5 } }]),
    );
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    await waitForExecution(h, owner.token, executionId, ['waiting']);
    // The version it pinned disappears (a broken restore, say): every attempt to continue fails.
    await h.admin`delete from workflow.workflow_versions where workflow_id = ${workflow.id}`;
    const failed = await waitForExecution(h, owner.token, executionId, ['error']);
    expect(failed.error).toMatch(/^Given up after 2 attempt\(s\): Version 1 of the workflow is gone/);
    expect(failed.errorNode).toBe('Pause');
    const [recorded] =
      await h.admin`select attempts from workflow.failed_jobs where payload->>'executionId' = ${executionId}`;
    expect(recorded!.attempts).toBe(2);
  });
});

describe('the sweep', () => {
  it('re-sends an execution saved but never queued, and leaves one whose job waits alone', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('swept', [{ name: 'Mark', type: 'set', config: { fields: [{ name: 'swept', value: true }] } }]),
    );
    // As if the process died between the commit and the enqueue.
    const [orphan] = await h.admin`insert into workflow.workflow_executions
      (id, workflow_id, workflow_version, status, trigger_type, trigger_node_id, input_data, created_at)
      values (${randomUUID()}, ${workflow.id}, 1, 'queued', 'manual', ${workflow.nodes[0]!.id}, '[{}]', now() - interval '1 minute')
      returning id`;
    await h.stopWorker();
    const queued = await runWorkflow(h, owner.token, workflow.id);
    await h.admin`update workflow.workflow_executions set created_at = now() - interval '1 minute' where id = ${queued}`;
    try {
      expect(await sweepExecutions(h.deps)).toBe(1);
    } finally {
      await h.startWorker();
    }
    for (const id of [orphan!.id, queued]) {
      const done = await waitForExecution(h, owner.token, id);
      expect(done).toMatchObject({ status: 'success', output: [expect.objectContaining({ swept: true })] });
    }
    expect(await sweepExecutions(h.deps)).toBe(0);
  });

  it('re-sends a running execution whose job is gone from the queue (an operator removed it)', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('lost job', [
        { name: 'Mark', type: 'set', config: { fields: [{ name: 'found', value: true }] } },
      ]),
    );
    await h.stopWorker();
    let executionId: string;
    try {
      executionId = await runWorkflow(h, owner.token, workflow.id);
      const jobId = executionJobId(executionId, 0);
      await h.deps.jobs.queue.remove(jobId);
      // As a worker leaves it when its job vanishes mid-run: running, by that job, for a while.
      await h.admin`update workflow.workflow_executions
        set status = 'running', job_id = ${jobId}, started_at = now() - interval '1 minute'
        where id = ${executionId}`;
      expect(await sweepExecutions(h.deps)).toBe(1);
    } finally {
      await h.startWorker();
    }
    const done = await waitForExecution(h, owner.token, executionId);
    expect(done).toMatchObject({ status: 'success', output: [expect.objectContaining({ found: true })] });
    const [row] = await h.admin`select job_id from workflow.workflow_executions where id = ${executionId}`;
    expect(row!.job_id).toMatch(new RegExp(`^run-${executionId}-0-swept-\\d+$`));
    expect(await sweepExecutions(h.deps)).toBe(0);
  });

  it('leaves a running execution whose job is at work alone, and gives up one whose job ran out of attempts', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('doomed twice', [{ name: 'Pause', type: 'wait', config: { amount: 0.5 } }]),
    );
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    await waitForExecution(h, owner.token, executionId, ['waiting']);
    await h.admin`delete from workflow.workflow_versions where workflow_id = ${workflow.id}`;
    await waitForExecution(h, owner.token, executionId, ['error']);
    const failedJob = (await h.deps.jobs.queue.getFailed()).find(
      (job) => job.data.payload?.executionId === executionId,
    );
    expect(failedJob).toBeDefined();

    // Its job still waiting in the queue: left alone.
    const waitingJob = await h.deps.jobs.queue.add(
      'run-execution',
      { payload: { executionId: randomUUID() } },
      { delay: 60_000 },
    );
    await h.admin`update workflow.workflow_executions
      set status = 'running', error_message = null, error_node = null, finished_at = null, job_id = ${waitingJob.id!}, started_at = now() - interval '1 minute'
      where id = ${executionId}`;
    expect(await sweepExecutions(h.deps)).toBe(0);
    expect(
      (await h.admin`select status from workflow.workflow_executions where id = ${executionId}`)[0]!.status,
    ).toBe('running');
    await waitingJob.remove();

    // As if its worker died after the last attempt, before the exhausted hook: given up as the hook would.
    await h.admin`update workflow.workflow_executions set job_id = ${failedJob!.id!} where id = ${executionId}`;
    expect(await sweepExecutions(h.deps)).toBe(0);
    const given = await waitForExecution(h, owner.token, executionId, ['error']);
    expect(given.error).toMatch(/^Given up after 2 attempt\(s\): Version 1 of the workflow is gone/);
  });
});

describe('the sweep over running executions', () => {
  it('walks them a page at a time, so one whose job is gone is reached however many are at work', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('many running', [
        { name: 'Mark', type: 'set', config: { fields: [{ name: 'reached', value: true }] } },
      ]),
    );
    await h.stopWorker();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 5; i++) ids.push(await runWorkflow(h, owner.token, workflow.id));
      // The first four are at work (their jobs wait in the queue); the last one's job is gone.
      for (const [i, id] of ids.entries()) {
        const jobId = executionJobId(id, 0);
        if (i === ids.length - 1) await h.deps.jobs.queue.remove(jobId);
        await h.admin`update workflow.workflow_executions
          set status = 'running', job_id = ${jobId}, started_at = now() - interval '1 minute' + ${`${i} seconds`}::interval
          where id = ${id}`;
      }
      // Two at a time: the lost one is on the third page.
      expect(await sweepExecutions(h.deps, new Date(), 2)).toBe(0);
      expect(await sweepExecutions(h.deps, new Date(), 2)).toBe(0);
      expect(await sweepExecutions(h.deps, new Date(), 2)).toBe(1);
    } finally {
      await h.startWorker();
    }
    const lost = await waitForExecution(h, owner.token, ids.at(-1)!);
    expect(lost).toMatchObject({ status: 'success', output: [expect.objectContaining({ reached: true })] });
  });
});

describe('the concurrency limit of a workflow', () => {
  it('holds across workers: never more executions running at once than it says', async () => {
    sink.delayMs = 300;
    const worker2 = await startWorkerProcess(workflowService, {
      env: h.env,
      log: createLogger({ service: 'second-worker', level: 'silent' }),
    });
    try {
      const workflow = await createWorkflow(h, owner.token, {
        ...chain('one at a time', [
          {
            name: 'Slow',
            type: 'http-request',
            config: { method: 'POST', url: `${sink.url}/slow`, body: {} },
          },
        ]),
        settings: { concurrencyLimit: 1 },
      });
      const ids = await Promise.all(
        Array.from({ length: 4 }, () => runWorkflow(h, owner.token, workflow.id)),
      );
      for (const id of ids) expect((await waitForExecution(h, owner.token, id)).status).toBe('success');
      const spans = await h.admin`select started_at, finished_at from workflow.workflow_executions
        where workflow_id = ${workflow.id} order by started_at`;
      // Each started after the one before it finished (started_at is set when a run is taken up).
      for (let i = 1; i < spans.length; i++)
        expect(spans[i]!.started_at.getTime()).toBeGreaterThanOrEqual(spans[i - 1]!.finished_at.getTime());
    } finally {
      sink.delayMs = 0;
      await worker2.close();
    }
  });
});
