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
      /** The collections: their ids, or a {{ expression }} over the item that gives them. */
      collectionIds: z.union([z.array(z.uuid()).min(1).max(50), z.string().min(1).max(4000)]),
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
        const collectionIds = collectionIdsOf(
          typeof config.collectionIds === 'string'
            ? await resolve(config.collectionIds, index)
            : config.collectionIds,
        );
        const hits = await services.searchKnowledge({
          collectionIds,
          query: query.slice(0, 2000),
          k: config.k,
        });
        return { ...item, [config.field]: hits };
      }),
    },
  }),
});

const collectionIdList = z.array(z.uuid()).min(1).max(50);

/** What an expression gave as the collections: 1 to 50 ids, else the node fails (retrying cannot help). */
function collectionIdsOf(value: unknown): string[] {
  const parsed = collectionIdList.safeParse(value);
  if (!parsed.success)
    throw new NodeError('The collections are not a list of 1 to 50 collection ids.', false);
  return parsed.data;
}
