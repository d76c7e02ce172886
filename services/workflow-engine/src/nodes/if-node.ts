import { z } from 'zod';
import { defineNodeType, type Item } from './node-type.js';

/** Sends each item to `true` or `false` by a condition (truthy as JSONata sees it). */
export const ifNode = defineNodeType({
  type: 'if',
  pure: true,
  description: 'Routes each item to the true or false output by a {{ condition }}.',
  config: z.object({ condition: z.unknown() }).strict(),
  outputs: () => ['true', 'false'],
  run: async ({ config, items, resolve }) => {
    const outputs: { true: Item[]; false: Item[] } = { true: [], false: [] };
    for (let i = 0; i < items.length; i++) {
      const value = await resolve(config.condition, i);
      (isTruthy(value) ? outputs.true : outputs.false).push(items[i]!);
    }
    return { outputs };
  },
});

export const isTruthy = (value: unknown) =>
  Array.isArray(value) ? value.length > 0 : value !== false && value !== null && value !== 0 && value !== '';
