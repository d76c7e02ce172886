import { z } from 'zod';
import { SUB_WORKFLOW_LOOK_MS } from './execute-workflow-node.js';
import { defineNodeType, type Item, NodeError } from './node-type.js';

/**
 * Loops over items in batches: each batch of `batchSize` runs the loop's body, a workflow of its
 * own (from its manual trigger), as a sub-workflow; the outputs of all batches, in order, are the
 * node's output. `items` may pick the list to loop over from the first item (`{{ orders }}`);
 * by default the node's input items. The batches run side by side, each an execution that is
 * started once and may be read node by node; the node waits (no process holding it) until all
 * have ended. A failed batch fails the node.
 */
export const loopNode = defineNodeType({
  type: 'loop',
  description: 'Runs a body workflow over the items in batches and collects what each batch emitted.',
  config: z
    .object({
      workflowId: z.uuid(),
      batchSize: z.int().min(1).max(1000).default(10),
      /** A {{ expression }} giving the list to loop over; objects stay items, values become { value }. */
      items: z.string().min(1).max(4000).optional(),
    })
    .strict(),
  outputs: () => ['main'],
  run: async ({ config, items, resolve, services }) => {
    let list: Item[] = items;
    if (config.items !== undefined) {
      const picked = items.length ? await resolve(config.items, 0) : [];
      if (!Array.isArray(picked)) throw new NodeError('The items to loop over are not a list.', false);
      list = picked.map((value) =>
        value && typeof value === 'object' && !Array.isArray(value) ? (value as Item) : { value },
      );
    }
    if (list.length > 100_000) throw new NodeError('More than 100,000 items to loop over.', false);
    const batches: Item[][] = [];
    for (let i = 0; i < list.length; i += config.batchSize) batches.push(list.slice(i, i + config.batchSize));
    if (!batches.length) return { outputs: { main: [] } };
    const results = await services.subWorkflows(config.workflowId, batches);
    if (!results.done) return { waitUntil: new Date(Date.now() + SUB_WORKFLOW_LOOK_MS) };
    return { outputs: { main: results.outputs.flat() } };
  },
});
