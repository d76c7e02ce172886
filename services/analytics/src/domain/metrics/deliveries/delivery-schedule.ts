import { DomainError } from '@conduit/errors';
import { Cron } from 'croner';

/**
 * Checks a report's or alert's schedule: a cron of five fields (minute first) or six (seconds
 * first), in an IANA time zone, with a next tick. Throws unprocessable with what is wrong.
 */
export function checkSchedule(schedule: string, timeZone: string): { schedule: string; nextAt: Date } {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new DomainError(
      'unprocessable',
      `"${timeZone}" is not an IANA time zone (e.g. "Europe/Paris", "UTC").`,
      {
        fields: { timeZone: 'not an IANA time zone' },
      },
    );
  }
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6)
    throw new DomainError('unprocessable', 'A schedule is a cron of 5 fields, or 6 with seconds first.', {
      fields: { schedule: 'not a cron of 5 or 6 fields' },
    });
  let nextAt: Date | null;
  try {
    const cron = new Cron(fields.join(' '), { paused: true, timezone: timeZone });
    nextAt = cron.nextRun();
    cron.stop();
  } catch (error) {
    const message = (error as Error).message.replace(/^CronPattern: /, '');
    throw new DomainError('unprocessable', `The schedule is not a valid cron: ${message}`, {
      fields: { schedule: message },
    });
  }
  if (!nextAt)
    throw new DomainError('unprocessable', 'The schedule never fires.', {
      fields: { schedule: 'never fires' },
    });
  return { schedule: fields.join(' '), nextAt };
}
