import { z } from 'zod';
import { eventSubjects } from './event-catalog.js';
import { defineNodeType } from './node-type.js';

/**
 * Started by a Conduit event (a subject of the shared event catalog) while the workflow is
 * active, when its filter holds. The filter is an expression over the event: `{{ data.chunkCount
 * > 0 }}` sees the envelope (id, subject, occurredAt, actor, data). Emits the envelope as its item.
 */
export const eventTrigger = defineNodeType({
  type: 'event',
  pure: true,
  description: 'Starts the workflow on a Conduit event (e.g. identity.user.registered) whose filter holds.',
  trigger: 'event',
  config: z
    .object({
      subject: z.enum(eventSubjects),
      /** A `{{ expression }}` over the event; absent: every event of the subject. */
      filter: z.string().min(1).max(4000).optional(),
    })
    .strict(),
  outputs: () => ['main'],
  inputs: () => 0,
  check(config) {
    if (config.filter !== undefined && !/^\s*\{\{[\s\S]*\}\}\s*$/.test(config.filter))
      return [{ path: 'filter', message: 'is one {{ expression }}' }];
    return [];
  },
  run: async ({ items }) => ({ outputs: { main: items } }),
});
