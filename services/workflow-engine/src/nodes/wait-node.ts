import { z } from 'zod';
import { defineNodeType, type Item, NodeError } from './node-type.js';

const units = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;
const MAX_WAIT_MS = 366 * 86_400_000;

const duration = {
  amount: z
    .number()
    .min(0)
    .max(366 * 86_400),
  unit: z.enum(['seconds', 'minutes', 'hours', 'days']).default('seconds'),
};

/**
 * Pauses the execution: for a duration, until a time (ISO 8601, or a `{{ expression }}` of one
 * over the first item), or until its resume webhook is called (`$execution.resumeUrl`, answered by
 * any instance), at most for `timeout`. The executor stores when to continue and hands the
 * execution back to the queue, delayed: no process holds it while it waits. A webhook wait passes
 * each item on with `resumed: { body, query }`, or `resumed: null` when its time ran out.
 */
export const waitNode = defineNodeType({
  type: 'wait',
  description: 'Pauses for a duration, until a time, or until its resume webhook is called.',
  config: z.union([
    z.object(duration).strict(),
    z.object({ until: z.string().min(1).max(4000) }).strict(),
    z
      .object({
        resume: z.literal('webhook'),
        timeout: z.object(duration).strict().default({ amount: 7, unit: 'days' }),
      })
      .strict(),
  ]),
  outputs: () => ['main'],
  run: async ({ config, items, resumed, resumeData, resolve }) => {
    if ('resume' in config) {
      if (resumed)
        return { outputs: { main: items.map((item): Item => ({ ...item, resumed: resumeData })) } };
      return { waitUntil: new Date(Date.now() + config.timeout.amount * units[config.timeout.unit]) };
    }
    if (resumed) return { outputs: { main: items } };
    if ('amount' in config) return { waitUntil: new Date(Date.now() + config.amount * units[config.unit]) };
    const until = items.length ? await resolve(config.until, 0) : config.until;
    const at =
      typeof until === 'string' || typeof until === 'number' ? new Date(until) : new Date(Number.NaN);
    if (Number.isNaN(at.getTime()))
      throw new NodeError(`"${String(until)}" is not a time to wait until.`, false);
    if (at.getTime() - Date.now() > MAX_WAIT_MS)
      throw new NodeError('It would wait more than 366 days.', false);
    if (at.getTime() <= Date.now()) return { outputs: { main: items } };
    return { waitUntil: at };
  },
});
