import { z } from 'zod';
import { defineNodeType } from './node-type.js';

/** Looks at unfinished sub-workflows again this often (a finishing one wakes the node sooner). */
export const SUB_WORKFLOW_LOOK_MS = 5000;

/**
 * Runs another workflow (from its first manual trigger) and waits for it: with all items at once,
 * or once per item; emits what the sub-workflow emitted. No process holds the execution while the
 * sub-workflow runs: the node parks, and the sub-workflow's end wakes it. A failed sub-workflow
 * fails the node.
 */
export const executeWorkflowNode = defineNodeType({
  type: 'execute-workflow',
  description: 'Runs another workflow with the items (at once, or per item) and waits for its result.',
  config: z
    .object({
      workflowId: z.uuid(),
      mode: z.enum(['all-items', 'each-item']).default('all-items'),
    })
    .strict(),
  outputs: () => ['main'],
  run: async ({ config, items, services }) => {
    const batches = config.mode === 'all-items' ? [items] : items.map((item) => [item]);
    const results = await services.subWorkflows(config.workflowId, batches);
    if (!results.done) return { waitUntil: new Date(Date.now() + SUB_WORKFLOW_LOOK_MS) };
    return { outputs: { main: results.outputs.flat() } };
  },
});
