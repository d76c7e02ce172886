import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
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

const scheduled = async (workflowId: string) =>
  (
    await h.admin`select count(*)::int as n from workflow.workflow_executions
      where workflow_id = ${workflowId} and trigger_type = 'schedule' and status = 'success'`
  )[0]!.n as number;

describe('schedule triggers', () => {
  it('fire while the workflow is active, and stop when it is paused', async () => {
    const document = {
      name: 'ticker',
      status: 'active',
      nodes: [
        { name: 'Every second', type: 'schedule', config: { cron: '* * * * * *' } },
        { name: 'Stamp', type: 'set', config: { fields: [{ name: 'at', value: '{{ firedAt }}' }] } },
      ],
      connections: [{ source: 'Every second', target: 'Stamp' }],
    };
    const workflow = await createWorkflow(h, owner.token, document);
    const deadline = Date.now() + 15_000;
    while ((await scheduled(workflow.id)) < 2) {
      if (Date.now() > deadline) throw new Error('the schedule did not fire twice');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const paused = await h.app.inject({
      method: 'PUT',
      url: `/v1/workflows/${workflow.id}`,
      headers: bearer(owner.token),
      payload: { ...document, status: 'paused' },
    });
    expect(paused.statusCode).toBe(200);
    const schedulers = await h.deps.jobs.queue.getJobSchedulers();
    expect(schedulers.filter((scheduler) => scheduler.key.startsWith('schedule-'))).toEqual([]);
    // A tick already queued may still run; after that, nothing more fires.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const settled = await scheduled(workflow.id);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await scheduled(workflow.id)).toBe(settled);
    const [row] = await h.admin`select execution_count from workflow.workflows where id = ${workflow.id}`;
    expect(row!.execution_count).toBeGreaterThanOrEqual(2);
  });
});
