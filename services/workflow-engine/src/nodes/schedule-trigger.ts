import { CronPattern } from 'croner';
import { z } from 'zod';
import { defineNodeType } from './node-type.js';

const validTimezone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** Started on a cron schedule while the workflow is active (a BullMQ job scheduler). */
export const scheduleTrigger = defineNodeType({
  type: 'schedule',
  pure: true,
  description:
    'Starts the workflow on a cron schedule (5 fields, or 6 with seconds first) while it is active.',
  trigger: 'schedule',
  config: z
    .object({
      cron: z.string().min(1).max(200),
      timezone: z.string().max(100).refine(validTimezone, 'is not a known time zone').default('UTC'),
    })
    .strict(),
  outputs: () => ['main'],
  inputs: () => 0,
  check(config) {
    try {
      new CronPattern(config.cron, config.timezone);
      return [];
    } catch (error) {
      return [{ path: 'cron', message: (error as Error).message }];
    }
  },
  run: async ({ items }) => ({ outputs: { main: items } }),
});
