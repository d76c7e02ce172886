import { z } from 'zod';
import { defineNodeType } from './node-type.js';

/** Passes its items on unchanged (a junction, or a placeholder). */
export const noOpNode = defineNodeType({
  type: 'no-op',
  pure: true,
  description: 'Passes items on unchanged.',
  config: z.object({}).strict(),
  outputs: () => ['main'],
  run: async ({ items }) => ({ outputs: { main: items } }),
});
