import { z } from 'zod';
import { defineNodeType, type Item, mapItems, NodeError } from './node-type.js';

/**
 * Searches knowledge-base collections (`rpc.knowledge.search`) for each item, as the workflow's
 * owner (knowledge-base checks their access to each collection; a team workflow reads its team's
 * collections as a viewer would). The hits, best first, go into the item under `field`.
 */
export const kbSearchNode = defineNodeType({
  type: 'kb-search',
  description: 'Searches knowledge-base collections for each item; the hits go into the item.',
  config: z
    .object({
      collectionIds: z.array(z.uuid()).min(1).max(50),
      /** The question: text, or a {{ expression }} over the item. */
      query: z.string().min(1).max(4000),
      k: z.int().min(1).max(50).default(5),
      field: z.string().min(1).max(100).default('hits'),
    })
    .strict(),
  outputs: () => ['main'],
  run: async ({ config, items, resolve, services }) => ({
    outputs: {
      main: await mapItems(items, async (item, index): Promise<Item> => {
        const query = await resolve(config.query, index);
        if (typeof query !== 'string' || !query.trim()) throw new NodeError('The query is not text.', false);
        const hits = await services.searchKnowledge({
          collectionIds: config.collectionIds,
          query: query.slice(0, 2000),
          k: config.k,
        });
        return { ...item, [config.field]: hits };
      }),
    },
  }),
});
