import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneExecutions } from '../../src/domain/executions/prune-executions.js';
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
let owner: { token: string; userId: string };

beforeAll(async () => {
  h = await startWorkflowHarness({ env: { ITEM_DATA_INLINE_MAX: '4096' } });
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

describe('large item data', () => {
  it('is kept apart from the rows, read back whole by the next node and the API, and goes with its execution', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('big items', [
        {
          name: 'Grow',
          type: 'set',
          config: { fields: [{ name: 'big', value: '{{ $pad("", 20000, "x") }}' }] },
        },
        {
          name: 'Measure',
          type: 'set',
          config: { fields: [{ name: 'length', value: '{{ $length(big) }}' }] },
        },
      ]),
    );
    const bigInput = [{ note: 'y'.repeat(10_000) }];
    const executionId = await runWorkflow(h, owner.token, workflow.id, bigInput);
    const done = await waitForExecution(h, owner.token, executionId);
    expect(done.status).toBe('success');
    expect(done.output).toEqual([expect.objectContaining({ length: 20000, note: 'y'.repeat(10_000) })]);
    expect(done.nodes.find((node) => node.nodeName === 'Grow')!.output.main![0]).toMatchObject({
      big: 'x'.repeat(20000),
    });

    const rows = await h.admin`select
        (select pg_column_size(input_data) from workflow.workflow_executions where id = ${executionId}) as input,
        (select max(pg_column_size(output_data)) from workflow.node_executions where execution_id = ${executionId}) as outputs,
        (select count(*)::int from workflow.execution_data where execution_id = ${executionId}) as apart`;
    expect(rows[0]!.input).toBeLessThan(200);
    expect(rows[0]!.outputs).toBeLessThan(200);
    expect(rows[0]!.apart).toBeGreaterThanOrEqual(4);

    const list = await h.app.inject({
      method: 'GET',
      url: `/v1/executions?workflowId=${workflow.id}`,
      headers: bearer(owner.token),
    });
    expect(list.json().items[0].output).toEqual({ storedApart: true, bytes: expect.any(Number) });

    const gone = await h.app.inject({
      method: 'DELETE',
      url: `/v1/executions/${executionId}`,
      headers: bearer(owner.token),
    });
    expect(gone.statusCode).toBe(204);
    const [left] =
      await h.admin`select count(*)::int as n from workflow.execution_data where execution_id = ${executionId}`;
    expect(left!.n).toBe(0);

    // Pruned past the retention, an execution takes what it kept apart with it too.
    const pruned = await runWorkflow(h, owner.token, workflow.id, bigInput);
    expect((await waitForExecution(h, owner.token, pruned)).status).toBe('success');
    await h.admin`update workflow.workflow_executions set finished_at = now() - interval '400 days' where id = ${pruned}`;
    expect(await pruneExecutions(h.deps)).toBeGreaterThanOrEqual(1);
    const [kept] =
      await h.admin`select count(*)::int as n from workflow.execution_data where execution_id = ${pruned}`;
    expect(kept!.n).toBe(0);
    const [orphans] = await h.admin`select count(*)::int as n from workflow.execution_data d
      where not exists (select 1 from workflow.workflow_executions e where e.id = d.execution_id)`;
    expect(orphans!.n).toBe(0);
  });

  it('is copied for a retry that reuses the node runs holding it', async () => {
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('big then fail', [
        {
          name: 'Grow',
          type: 'set',
          config: { fields: [{ name: 'big', value: '{{ $pad("", 9000, "z") }}' }] },
        },
        { name: 'Boom', type: 'stop-and-error', config: { message: 'failing on purpose' } },
      ]),
    );
    const failed = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, workflow.id));
    expect(failed.status).toBe('error');
    const retried = await h.app.inject({
      method: 'POST',
      url: `/v1/executions/${failed.id}/retry`,
      headers: bearer(owner.token),
      payload: { mode: 'from-failed' },
    });
    const again = await waitForExecution(h, owner.token, retried.json().executionId);
    expect(again.nodes.find((node) => node.nodeName === 'Grow')!.output.main![0]).toMatchObject({
      big: 'z'.repeat(9000),
    });
    await h.app.inject({
      method: 'DELETE',
      url: `/v1/executions/${failed.id}`,
      headers: bearer(owner.token),
    });
    const still = await waitForExecution(h, owner.token, again.id);
    expect(still.nodes.find((node) => node.nodeName === 'Grow')!.output.main![0]).toMatchObject({
      big: 'z'.repeat(9000),
    });
  });
});
