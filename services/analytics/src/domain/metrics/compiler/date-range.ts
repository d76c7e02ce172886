import { DomainError } from '@conduit/errors';
import type { DateRange } from './exploration-query.js';

/**
 * Date ranges of a query, read in its time zone. A bound is either a local wall-clock time
 * (`2026-03-08 00:00:00`, turned into an instant by Postgres with `AT TIME ZONE`, so a day across
 * a daylight-saving change has its 23 or 25 hours) or an instant given with its offset. The range
 * is half-open: from <= t < to.
 *
 * Relative ranges follow Cube: `today`, `yesterday`, `this day|week|month|quarter|year`,
 * `last week|month|quarter|year` (the previous whole one), `last N days|weeks|months|quarters|years`
 * (the N whole ones before the current one, which is not included). Weeks start on Monday.
 *
 * Hours and minutes (`this hour|minute`, `last hour|minute`, `last N hours|minutes`) are read the
 * same way but as instants: the current local hour (or minute) starts where the zone's clocks last
 * showed :00, and the range counts back N real hours from there. So "last 6 hours" is six hours of
 * elapsed time even across a daylight-saving change, where the wall clocks show five or seven.
 */
export type Bound = { local: string } | { instant: string };
export interface ResolvedRange {
  from: Bound;
  to: Bound;
}

type Unit = 'day' | 'week' | 'month' | 'quarter' | 'year';

interface PlainDate {
  year: number;
  month: number; // 1-12
  day: number;
}

const badRange = (detail: string) => new DomainError('bad_request', detail);

/** Today's date on the wall clocks of `timeZone`. */
export function localToday(now: Date, timeZone: string): PlainDate {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
    .formatToParts(now)
    .reduce<Record<string, string>>((acc, p) => Object.assign(acc, { [p.type]: p.value }), {});
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day) };
}

const fromUtc = (d: Date): PlainDate => ({
  year: d.getUTCFullYear(),
  month: d.getUTCMonth() + 1,
  day: d.getUTCDate(),
});
const toUtc = (d: PlainDate) => new Date(Date.UTC(d.year, d.month - 1, d.day));

function addDays(d: PlainDate, days: number): PlainDate {
  const t = toUtc(d);
  t.setUTCDate(t.getUTCDate() + days);
  return fromUtc(t);
}

function addMonths(d: PlainDate, months: number): PlainDate {
  const index = d.year * 12 + (d.month - 1) + months;
  return { year: Math.floor(index / 12), month: (index % 12) + 1, day: 1 };
}

/** The first day of the unit holding `d`. */
function startOf(d: PlainDate, unit: Unit): PlainDate {
  switch (unit) {
    case 'day':
      return d;
    case 'week': {
      const weekday = (toUtc(d).getUTCDay() + 6) % 7; // Monday 0
      return addDays(d, -weekday);
    }
    case 'month':
      return { ...d, day: 1 };
    case 'quarter':
      return { year: d.year, month: Math.floor((d.month - 1) / 3) * 3 + 1, day: 1 };
    case 'year':
      return { year: d.year, month: 1, day: 1 };
  }
}

function add(d: PlainDate, unit: Unit, n: number): PlainDate {
  switch (unit) {
    case 'day':
      return addDays(d, n);
    case 'week':
      return addDays(d, 7 * n);
    case 'month':
      return addMonths(d, n);
    case 'quarter':
      return addMonths(d, 3 * n);
    case 'year':
      return addMonths(d, 12 * n);
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const localMidnight = (d: PlainDate): Bound => ({
  local: `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)} 00:00:00`,
});

const RELATIVE =
  /^(?:(today|yesterday)|this (day|week|month|quarter|year)|last (week|month|quarter|year)|last (\d{1,4}) (days?|weeks?|months?|quarters?|years?))$/;
const RELATIVE_CLOCK = /^(?:(this|last) (hour|minute)|last (\d{1,6}) (hours?|minutes?))$/;

/** Longest clock-based range: about a year of hours (8,784) or of minutes. */
const MAX_CLOCK_MS = 366 * 24 * 3600_000;

/** How far into the current local hour `now` is, in ms (the zone's offset may hold minutes). */
function intoLocalHour(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, minute: '2-digit', second: '2-digit' })
    .formatToParts(now)
    .reduce<Record<string, string>>((acc, p) => Object.assign(acc, { [p.type]: p.value }), {});
  return (Number(parts.minute) * 60 + Number(parts.second)) * 1000 + now.getUTCMilliseconds();
}

function resolveClock(match: RegExpExecArray, now: Date, timeZone: string): ResolvedRange {
  const [, which, thisOrLastUnit, count, countUnit] = match;
  const unit = (thisOrLastUnit ?? countUnit!).replace(/s$/, '') as 'hour' | 'minute';
  const n = count === undefined ? 1 : Number(count);
  if (n < 1) throw badRange('A relative range needs at least one period.');
  const step = unit === 'hour' ? 3600_000 : 60_000;
  if (n * step > MAX_CLOCK_MS) throw badRange(`A range of ${unit}s may span at most a year.`);
  const into = intoLocalHour(now, timeZone);
  const start = now.getTime() - (unit === 'hour' ? into : into % 60_000);
  const [from, to] = which === 'this' ? [start, start + step] : [start - n * step, start];
  return { from: { instant: new Date(from).toISOString() }, to: { instant: new Date(to).toISOString() } };
}

function resolveRelative(text: string, now: Date, timeZone: string): ResolvedRange {
  const normal = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const clock = RELATIVE_CLOCK.exec(normal);
  if (clock) return resolveClock(clock, now, timeZone);
  const match = RELATIVE.exec(normal);
  if (!match)
    throw badRange(
      `"${text.slice(0, 40)}" is not a date range; use [from, to] or one of today, yesterday, this hour|minute|week|month|quarter|year, last hour|minute|week|month|quarter|year, last N minutes|hours|days|weeks|months|quarters|years.`,
    );
  const today = localToday(now, timeZone);
  const [, day, thisUnit, lastUnit, count, countUnit] = match;
  let unit: Unit;
  let n: number;
  let offset: number;
  if (day) [unit, n, offset] = ['day', 1, day === 'today' ? 0 : -1];
  else if (thisUnit) [unit, n, offset] = [thisUnit as Unit, 1, 0];
  else if (lastUnit) [unit, n, offset] = [lastUnit as Unit, 1, -1];
  else {
    [unit, n] = [countUnit!.replace(/s$/, '') as Unit, Number(count)];
    if (n < 1) throw badRange('A relative range needs at least one period.');
    offset = -n;
  }
  const start = add(startOf(today, unit), unit, offset);
  const end = add(start, unit, n);
  if (start.year < 1900) throw badRange('That range starts too long ago.');
  return { from: localMidnight(start), to: localMidnight(end) };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function realDate(year: string, month: string, day: string): PlainDate {
  const d = { year: Number(year), month: Number(month), day: Number(day) };
  const back = fromUtc(toUtc(d));
  if (back.year !== d.year || back.month !== d.month || back.day !== d.day || d.year < 1900 || d.year > 9999)
    throw badRange(`${year}-${month}-${day} is not a day of the calendar.`);
  return d;
}

/**
 * One bound of an absolute range: a date (a `to` date includes its whole day), a local date and
 * time, or an instant with its offset.
 */
function absoluteBound(text: string, isEnd: boolean): Bound {
  const date = DATE.exec(text);
  if (date) {
    const d = realDate(date[1]!, date[2]!, date[3]!);
    return localMidnight(isEnd ? addDays(d, 1) : d);
  }
  const local = LOCAL.exec(text);
  if (local) {
    realDate(local[1]!, local[2]!, local[3]!);
    const [hour, minute, second] = [Number(local[4]), Number(local[5]), Number(local[6] ?? 0)];
    if (hour > 23 || minute > 59 || second > 59) throw badRange(`${text} is not a time of day.`);
    return { local: text.replace('T', ' ') };
  }
  if (INSTANT.test(text) && !Number.isNaN(Date.parse(text))) return { instant: new Date(text).toISOString() };
  throw badRange(
    `"${text.slice(0, 40)}" is not a date (YYYY-MM-DD), a local time (YYYY-MM-DDTHH:MM:SS) or an instant with an offset.`,
  );
}

/** The half-open range a query's date range stands for, now, in `timeZone`. Throws bad_request. */
export function resolveDateRange(range: DateRange, timeZone: string, now: Date): ResolvedRange {
  if (typeof range === 'string') return resolveRelative(range, now, timeZone);
  return { from: absoluteBound(range[0], false), to: absoluteBound(range[1], true) };
}
