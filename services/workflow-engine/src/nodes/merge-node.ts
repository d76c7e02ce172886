import { z } from 'zod';
import { defineNodeType, type Item } from './node-type.js';

/**
 * Waits for all its inputs (it runs once every node before it has run or been passed by), then
 * appends them, or combines the items at the same position into one.
 */
export const mergeNode = defineNodeType({
  type: 'merge',
  pure: true,
  description: 'Waits for all inputs, then appends them or combines items by position.',
  config: z
    .object({
      inputs: z.int().min(2).max(8).default(2),
      mode: z.enum(['append', 'combine-by-position']).default('append'),
    })
    .strict(),
  outputs: () => ['main'],
  inputs: (config) => config.inputs,
  run: async ({ config, inputs }) => {
    if (config.mode === 'append') return { outputs: { main: inputs.flat() } };
    const length = Math.max(0, ...inputs.map((input) => input.length));
    const main: Item[] = [];
    for (let i = 0; i < length; i++) main.push(Object.assign({}, ...inputs.map((input) => input[i] ?? {})));
    return { outputs: { main } };
  },
});
