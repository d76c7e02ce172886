import { z } from 'zod';
import { defineNodeType } from './node-type.js';

/** Started by hand (`POST /v1/workflows/:id/run`): emits the run's input items. */
export const manualTrigger = defineNodeType({
  type: 'manual',
  pure: true,
  description: 'Starts the workflow by hand, with the items given to the run.',
  trigger: 'manual',
  config: z.object({}).strict(),
  outputs: () => ['main'],
  inputs: () => 0,
  run: async ({ items }) => ({ outputs: { main: items } }),
});
