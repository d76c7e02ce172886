import { z } from 'zod';
import { defineNodeType } from './node-type.js';

const headerName = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9-]{1,100}$/, 'a header name (letters, digits, -)');

/**
 * Started by an HTTP call to `/v1/hooks/:workflowId/:path`: emits one item with the call's body,
 * query and headers. `respond: using-node` holds the call until a respond-to-webhook node answers.
 */
export const webhookTrigger = defineNodeType({
  type: 'webhook',
  pure: true,
  description: 'Starts the workflow when /v1/hooks/:workflowId/:path is called.',
  trigger: 'webhook',
  config: z
    .object({
      path: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'lower-case letters, digits, - and _, at most 100'),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
      respond: z.enum(['immediately', 'using-node']).default('immediately'),
      /**
       * How callers prove themselves: a shared token in a header, or an HMAC-SHA256 (hex) of the
       * raw body in a header, with the `secret` credential named here. Absent: anyone may call.
       */
      auth: z
        .discriminatedUnion('type', [
          z.object({ type: z.literal('header-token'), header: headerName, credential: z.uuid() }).strict(),
          z.object({ type: z.literal('hmac-sha256'), header: headerName, credential: z.uuid() }).strict(),
        ])
        .optional(),
    })
    .strict(),
  outputs: () => ['main'],
  inputs: () => 0,
  run: async ({ items }) => ({ outputs: { main: items } }),
});
