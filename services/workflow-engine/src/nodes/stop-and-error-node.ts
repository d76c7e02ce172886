import { z } from 'zod';
import { defineNodeType, NodeError } from './node-type.js';

/** Fails the execution with a message (resolved against the first item); never retried. */
export const stopAndErrorNode = defineNodeType({
  type: 'stop-and-error',
  description: 'Fails the execution with a message.',
  config: z.object({ message: z.string().min(1).max(2000) }).strict(),
  outputs: () => [],
  run: async ({ config, resolve, items }) => {
    const message = items.length ? await resolve(config.message, 0) : config.message;
    throw new NodeError(typeof message === 'string' ? message : JSON.stringify(message), false);
  },
});
