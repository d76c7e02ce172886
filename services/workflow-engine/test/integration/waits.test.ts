import { startHttp } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowService } from '../../src/service.js';
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

beforeAll(async () => {
  h = await startWorkflowHarness();
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('waits', () => {
  it('a wait of 2 s resumes within 2-3 s, even across a worker restart', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('two seconds', [
        { name: 'Pause', type: 'wait', config: { amount: 2 } },
        { name: 'After', type: 'set', config: { fields: [{ name: 'at', value: '{{ $now() }}' }] } },
      ]),
    );
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    await waitForExecution(h, owner.token, executionId, ['waiting']);
    // The worker that parked it goes away; nothing holds the execution while it waits.
    await h.stopWorker();
    await sleep(300);
    await h.startWorker();
    const done = await waitForExecution(h, owner.token, executionId);
    expect(done.status).toBe('success');
    const [start, pause, after] = await h.admin`select node_name, started_at, finished_at, resume_at
      from workflow.node_executions where execution_id = ${executionId} order by sequence`;
    expect([pause!.node_name, after!.node_name]).toEqual(['Pause', 'After']);
    // Parked for 2 s from when it was reached, and the next node ran within the second after
    // that: 2-3 s, timed by the rows themselves, so the test's own start-up and polling do not count.
    const parked = pause!.resume_at.getTime() - start!.finished_at.getTime();
    expect(parked).toBeGreaterThanOrEqual(1900);
    expect(parked).toBeLessThan(2500);
    const late = after!.started_at.getTime() - pause!.resume_at.getTime();
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(1000);
  });

  it('waits until a time given by an expression, at once when it has passed, and refuses a non-time', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('until', [{ name: 'Until', type: 'wait', config: { until: '{{ at }}' } }]),
    );
    const soon = new Date(Date.now() + 1200).toISOString();
    const started = Date.now();
    const later = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [{ at: soon }]),
    );
    expect(later.status).toBe('success');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1100);
    const past = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [{ at: '2001-01-01T00:00:00Z' }]),
    );
    expect(past.nodes.map((node) => node.status)).toEqual(['success', 'success']);
    const bad = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [{ at: 'someday' }]),
    );
    expect(bad).toMatchObject({
      status: 'error',
      errorNode: 'Until',
      error: expect.stringContaining('not a time'),
    });
  });
});

describe('resume webhooks', () => {
  const approval = (timeout?: object) =>
    chain('approval', [
      {
        name: 'Ask',
        type: 'set',
        config: { fields: [{ name: 'link', value: '{{ $execution.resumeUrl }}' }] },
      },
      {
        name: 'Wait for answer',
        type: 'wait',
        config: { resume: 'webhook', ...(timeout ? { timeout } : {}) },
      },
      {
        name: 'Decide',
        type: 'set',
        config: { fields: [{ name: 'approved', value: '{{ resumed.body.approved = true }}' }] },
      },
    ]);

  it('continue the execution at the wait node when called on any instance, once', async () => {
    const workflow = await createWorkflow(h, owner.token, approval());
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    const waiting = await waitForExecution(h, owner.token, executionId, ['waiting']);
    const link = (waiting.nodes[1]!.output.main![0] as { link: string }).link;
    expect(link).toMatch(new RegExp(`^/v1/hooks/${workflow.id}/resume/${executionId}/[A-Za-z0-9_-]{20,}$`));

    // Another HTTP instance of the engine (no worker of its own) takes the call.
    const other = await startHttp(workflowService, {
      env: h.env,
      log: createLogger({ service: 'second-http', level: 'silent' }),
      overrides: { verifier: h.tokens.verifier },
    });
    try {
      const wrong = await other.app.inject({ method: 'POST', url: `${link.slice(0, -4)}AAAA`, payload: {} });
      expect(wrong.statusCode).toBe(404);
      const resumed = await other.app.inject({ method: 'POST', url: link, payload: { approved: true } });
      expect(resumed.statusCode, resumed.body).toBe(202);
      const done = await waitForExecution(h, owner.token, executionId);
      expect(done.status).toBe('success');
      expect(done.output).toEqual([
        expect.objectContaining({ approved: true, resumed: { body: { approved: true }, query: {} } }),
      ]);
      expect((await other.app.inject({ method: 'POST', url: link, payload: {} })).statusCode).toBe(409);
    } finally {
      await other.close();
    }
  });

  it('go on without an answer when their time runs out', async () => {
    const workflow = await createWorkflow(h, owner.token, approval({ amount: 1, unit: 'seconds' }));
    const done = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, workflow.id));
    expect(done.status).toBe('success');
    expect(done.output).toEqual([expect.objectContaining({ resumed: null, approved: false })]);
  });
});
