import { unrefusedCursors, walkPages } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  chain,
  changeWorkflow,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

// Every list route of the workflow engine, read two items at a time from the first page to the
// last, against the same list read whole in one page.

let h: WorkflowHarness;
let token: string;
let workflowId: string;

beforeAll(async () => {
  h = await startWorkflowHarness();
  ({ token } = await h.tokens.mint());
  for (const name of ['one', 'two', 'three', 'four', 'five'])
    workflowId = (await createWorkflow(h, token, chain(name, [{ name: 'Done', type: 'no-op' }]))).id;
  for (const description of ['second', 'third', 'fourth', 'fifth'])
    await changeWorkflow(h, token, workflowId, { description });
  for (let run = 0; run < 5; run++) await waitForExecution(h, token, await runWorkflow(h, token, workflowId));
}, 120_000);
afterAll(() => h?.close());

const lists = () => ({
  workflows: '/v1/workflows',
  versions: `/v1/workflows/${workflowId}/versions`,
  executions: `/v1/executions?workflowId=${workflowId}`,
  templates: '/v1/workflows/templates',
});

const get = (path: string) => (query: string) =>
  h.app.inject({
    method: 'GET',
    url: `${path}${path.includes('?') ? '&' : '?'}${query}`,
    headers: bearer(token),
  });

describe('every list of the workflow engine', () => {
  for (const name of ['workflows', 'versions', 'executions', 'templates'] as const) {
    it(`${name}: two at a time, every item once and in order; a tampered cursor answers 400`, async () => {
      const path = lists()[name];
      const whole = (await get(path)('limit=100')).json() as { items: unknown[]; nextCursor: string | null };
      expect(whole.nextCursor).toBeNull();
      expect(whole.items.length).toBeGreaterThanOrEqual(5);
      expect(await walkPages(get(path), 2)).toEqual(whole.items);

      const first = (await get(path)('limit=2')).json() as { nextCursor: string };
      expect(await unrefusedCursors(get(path), first.nextCursor)).toEqual([]);
    });
  }
});
