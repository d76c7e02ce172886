import { DomainError } from '@conduit/errors';

export const intervals = ['15m', 'hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof intervals)[number];

/** The shortest length of each period: a day may have 23 hours, a month 28 days. */
const shortest: Record<Interval, number> = {
  '15m': 15 * 60_000,
  hour: 3_600_000,
  day: 23 * 3_600_000,
  week: 7 * 86_400_000 - 3_600_000,
  month: 28 * 86_400_000 - 3_600_000,
};

/** Most points one series may have: a year of days, not a year of quarter hours. */
export const MAX_POINTS = 1000;
/** Longest range of any query (counters are kept about three years). */
export const MAX_RANGE_DAYS = 1100;

/** A time zone the runtime knows by its IANA name (`Asia/Kolkata`), or UTC. */
export function isTimeZone(name: string): boolean {
  // A name, never an offset: Postgres reads "+05:30" as POSIX does, five and a half hours west.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export interface TimeRange {
  from: Date;
  to: Date;
}

/**
 * Checks a query's range: `from` before `to`, at most MAX_RANGE_DAYS long and, for a series, at
 * most MAX_POINTS periods. Throws bad_request naming what is wrong.
 */
export function checkRange(from: string, to: string, interval?: Interval): TimeRange {
  const range = { from: new Date(from), to: new Date(to) };
  if (range.to.getTime() <= range.from.getTime())
    throw new DomainError('bad_request', '"from" must be before "to".', {
      fields: { errors: [{ path: 'querystring.to', message: 'is not after from' }] },
    });
  const span = range.to.getTime() - range.from.getTime();
  if (span > MAX_RANGE_DAYS * 86_400_000)
    throw new DomainError('bad_request', `A range may be at most ${MAX_RANGE_DAYS} days long.`);
  if (interval && Math.ceil(span / shortest[interval]) + 1 > MAX_POINTS)
    throw new DomainError(
      'bad_request',
      `That range has more than ${MAX_POINTS} periods of ${interval}; use a longer interval or a shorter range.`,
    );
  return range;
}

const BUCKET_MS = 15 * 60_000;

/** The start of the 15-minute bucket holding `at`: counters begin there. */
export const floorToBucket = (at: Date) => new Date(Math.floor(at.getTime() / BUCKET_MS) * BUCKET_MS);
