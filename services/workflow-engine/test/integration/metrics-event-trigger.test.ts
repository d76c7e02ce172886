import { randomUUID } from 'node:crypto';
import { analyticsEvents } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWorkflow,
  publishEvent,
  startWorkflowHarness,
  type WorkflowHarness,
} from '../fixtures/workflow-harness.js';

// A metrics report's or alert's delivery to workflows (analytics.metrics.delivered, the "workflow"
// target of analytics' reports and alerts): an event trigger on it starts the workflow with the
// result's rows, once per event.
let h: WorkflowHarness;
let owner: { token: string; userId: string };

beforeAll(async () => {
  h = await startWorkflowHarness();
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

describe('metrics deliveries as workflow triggers', () => {
  it('starts a workflow listening to analytics.metrics.delivered with the alert and its rows', async () => {
    const workflow = await createWorkflow(h, owner.token, {
      name: 'On alert',
      status: 'active',
      nodes: [
        { name: 'Delivered', type: 'event', config: { subject: 'analytics.metrics.delivered' } },
        { name: 'Note', type: 'set', config: { fields: [{ name: 'alert', value: '{{ data.name }}' }] } },
      ],
      connections: [{ source: 'Delivered', target: 'Note' }],
    });
    const envelope = await publishEvent(h, analyticsEvents.metricsDelivered, {
      kind: 'alert',
      sourceId: randomUUID(),
      teamId: randomUUID(),
      deliveryId: randomUUID(),
      name: 'Too many orders',
      explorationId: randomUUID(),
      tickAt: new Date().toISOString(),
      notice: 'fired',
      columns: [{ name: 'orders.count', title: 'Orders', type: 'number' }],
      rows: [{ 'orders.count': 42 }],
      rowCount: 1,
      breaches: [{ column: 'orders.count', value: 42, upper: 40, reason: 'above' }],
    });
    const deadline = Date.now() + 30_000;
    let runs: { status: string; input_data: unknown }[] = [];
    while (Date.now() < deadline) {
      runs = await h.admin`select status, input_data from workflow.workflow_executions
        where workflow_id = ${workflow.id} and trigger_type = 'event'`;
      if (runs.length > 0 && runs.every((run) => run.status === 'success')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('success');
    expect(JSON.stringify(runs[0]!.input_data)).toContain(envelope.id);
    expect(JSON.stringify(runs[0]!.input_data)).toContain('Too many orders');
  });
});
