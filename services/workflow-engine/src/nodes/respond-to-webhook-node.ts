import { z } from 'zod';
import { defineNodeType } from './node-type.js';

/**
 * Answers the webhook call that started the execution (when its trigger waits for a node), with
 * a status, headers and a body resolved against the first item; passes its items on.
 */
export const respondToWebhookNode = defineNodeType({
  type: 'respond-to-webhook',
  pure: true,
  description: 'Answers the webhook call that started the execution.',
  config: z
    .object({
      status: z.int().min(200).max(599).default(200),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/), z.string().max(2000)).default({}),
      /** Defaults to the first item. */
      body: z.unknown().optional(),
    })
    .strict(),
  outputs: () => ['main'],
  run: async ({ config, items, resolve }) => {
    const body =
      config.body === undefined
        ? (items[0] ?? {})
        : items.length
          ? await resolve(config.body, 0)
          : config.body;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.headers))
      headers[name.toLowerCase()] = String(items.length ? await resolve(value, 0) : value);
    return { outputs: { main: items }, respond: { status: config.status, headers, body } };
  },
});
