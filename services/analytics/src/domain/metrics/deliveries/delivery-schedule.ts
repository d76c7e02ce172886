import { DomainError } from '@conduit/errors';
import { Cron } from 'croner';

/** Ticks looked at for the shortest gap: a cron repeats within a day, so its closest pair shows. */
const TICKS_CHECKED = 500;

const describeGap = (ms: number) =>
  ms % 60_000 === 0 ? `${ms / 60_000} minute(s)` : `${Math.round(ms / 1000)} second(s)`;

/**
 * Checks a report's or alert's schedule: a cron of five fields (minute first) or six (seconds
 * first), in an IANA time zone, with a next tick, whose ticks are at least `minGapMs` apart (each
 * tick may send mail and run a query: a schedule every second would be a mail bomb). Throws
 * unprocessable with what is wrong.
 */
export function checkSchedule(
  schedule: string,
  timeZone: string,
  minGapMs: number,
): { schedule: string; nextAt: Date } {
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
  let ticks: Date[];
  try {
    const cron = new Cron(fields.join(' '), { paused: true, timezone: timeZone });
    nextAt = cron.nextRun();
    ticks = cron.nextRuns(TICKS_CHECKED);
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
  for (let i = 1; i < ticks.length; i++) {
    const gap = ticks[i]!.getTime() - ticks[i - 1]!.getTime();
    if (gap < minGapMs)
      throw new DomainError(
        'unprocessable',
        `The schedule runs ${describeGap(gap)} apart; runs must be at least ${describeGap(minGapMs)} apart.`,
        { fields: { schedule: `runs closer than ${describeGap(minGapMs)}` } },
      );
  }
  return { schedule: fields.join(' '), nextAt };
}
