import { z } from 'zod';
import { defineNodeType } from './node-type.js';

const units = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;

/**
 * Pauses the execution for a duration. The executor stores when to continue and hands the
 * execution back to the queue, delayed: no process holds it while it waits.
 */
export const waitNode = defineNodeType({
  type: 'wait',
  description: 'Pauses the execution for a duration, then passes its items on.',
  config: z
    .object({
      amount: z
        .number()
        .min(0)
        .max(366 * 86_400),
      unit: z.enum(['seconds', 'minutes', 'hours', 'days']).default('seconds'),
    })
    .strict(),
  outputs: () => ['main'],
  run: async ({ config, items, resumed }) => {
    if (resumed) return { outputs: { main: items } };
    return { waitUntil: new Date(Date.now() + config.amount * units[config.unit]) };
  },
});
