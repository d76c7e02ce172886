import { z } from 'zod';
import { defineNodeType } from './node-type.js';

/**
 * Started by an HTTP call to `/v1/hooks/:workflowId/:path`: emits one item with the call's body,
 * query and headers. `respond: using-node` holds the call until a respond-to-webhook node answers.
 */
export const webhookTrigger = defineNodeType({
  type: 'webhook',
  description: 'Starts the workflow when /v1/hooks/:workflowId/:path is called.',
  trigger: 'webhook',
  config: z
    .object({
      path: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'lower-case letters, digits, - and _, at most 100'),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
      respond: z.enum(['immediately', 'using-node']).default('immediately'),
    })
    .strict(),
  outputs: () => ['main'],
  inputs: () => 0,
  run: async ({ items }) => ({ outputs: { main: items } }),
});
