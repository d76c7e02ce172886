import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { sql } from 'drizzle-orm';
import { rollups } from '../../db/schema.js';
import type { AnalyticsDeps } from '../../deps.js';
import { asViewer, resolveScope, type ScopeRequest } from '../access/viewer-scope.js';
import type { MetricName } from '../events/metrics.js';
import { type Grouping, groupColumn, rollupFilter } from './rollup-filters.js';
import { checkRange, type Interval, isTimeZone } from './time-range.js';

export interface SeriesQuery extends ScopeRequest {
  metric: MetricName;
  from: string;
  to: string;
  interval: Interval;
  tz: string;
  groupBy?: Grouping | undefined;
  /** Most groups answered, the largest first. */
  groups: number;
}

export interface SeriesPoint {
  /** The period's first instant, UTC. */
  start: string;
  /** The same instant on the viewer's clock (`2026-03-08T00:00`). */
  local: string;
  value: number;
}

interface Period {
  start: Date;
  local: string;
}

/** The time zone a query names, or bad_request. */
export function checkTimeZone(tz: string) {
  if (!isTimeZone(tz))
    throw new DomainError(
      'bad_request',
      `"${tz.slice(0, 64)}" is not a time zone such as Europe/Paris or UTC.`,
    );
}

/**
 * Every period of `interval` in the viewer's time zone from the one holding `from` to the one
 * holding the last instant before `to`: whole local days, weeks and months, so a day is 23, 24 or
 * 25 hours of 15-minute buckets as the zone's clock says.
 */
async function periodsOf(tx: Transaction, from: Date, to: Date, interval: Interval, tz: string) {
  const rows = await tx.execute<{ start: string; local: string }>(sql`
    with recursive periods(start) as (
      select analytics.period_start(${from.toISOString()}::timestamptz, ${interval}, ${tz})
      union all
      select analytics.period_end(start, ${interval}, ${tz}) from periods
      where analytics.period_end(start, ${interval}, ${tz})
        <= analytics.period_start(${to.toISOString()}::timestamptz - interval '1 microsecond', ${interval}, ${tz})
    )
    select to_char(start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as start,
      to_char(start at time zone ${tz}, 'YYYY-MM-DD"T"HH24:MI') as local,
      to_char(analytics.period_end(start, ${interval}, ${tz}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "end"
    from periods order by start`);
  const periods = rows.map((row) => ({ start: new Date(row.start), local: row.local }));
  const end = new Date((rows.at(-1) as unknown as { end: string }).end);
  return { periods, end };
}

/**
 * A metric over time in the viewer's time zone, missing periods as zeros, optionally one series
 * per group (the `groups` largest). Counters are summed by whole 15-minute buckets, so the answer
 * equals a count of the events themselves. Throws what resolveScope throws, and bad_request for an
 * inverted or oversized range or an unknown time zone.
 */
export async function timeSeries(deps: Pick<AnalyticsDeps, 'db'>, actor: Actor, query: SeriesQuery) {
  const scope = resolveScope(actor, query);
  const range = checkRange(query.from, query.to, query.interval);
  checkTimeZone(query.tz);
  return asViewer(deps.db, actor, async (tx) => {
    const { periods, end } = await periodsOf(tx, range.from, range.to, query.interval, query.tz);
    const first = periods[0]!.start;
    const group = query.groupBy ? sql`${groupColumn(query.groupBy)}::text` : sql`null::text`;
    const rows = await tx.execute<{ grp: string | null; start: string; value: string }>(sql`
      select ${group} as grp,
        to_char(analytics.period_start(${rollups.bucket}, ${query.interval}, ${query.tz}) at time zone 'UTC',
          'YYYY-MM-DD"T"HH24:MI:SS"Z"') as start,
        sum(${rollups.value})::bigint as value
      from ${rollups}
      where ${rollupFilter({ metric: query.metric, scope, groupBy: query.groupBy, from: first, to: end })}
      group by 1, 2`);
    return {
      metric: query.metric,
      interval: query.interval,
      tz: query.tz,
      from: first.toISOString(),
      to: end.toISOString(),
      groupBy: query.groupBy ?? null,
      series: seriesOf(periods, rows, query.groups, !query.groupBy),
    };
  });
}

/** Zero-filled series per group, the largest totals first (ties by group id, for a stable answer). */
function seriesOf(
  periods: Period[],
  rows: { grp: string | null; start: string; value: string }[],
  groups: number,
  ungrouped: boolean,
) {
  const byGroup = new Map<string | null, Map<number, number>>();
  if (ungrouped) byGroup.set(null, new Map());
  for (const row of rows) {
    const values = byGroup.get(row.grp) ?? new Map<number, number>();
    values.set(new Date(row.start).getTime(), Number(row.value));
    byGroup.set(row.grp, values);
  }
  return [...byGroup.entries()]
    .map(([group, values]) => {
      const points: SeriesPoint[] = periods.map((period) => ({
        start: period.start.toISOString(),
        local: period.local,
        value: values.get(period.start.getTime()) ?? 0,
      }));
      return { group, total: points.reduce((sum, point) => sum + point.value, 0), points };
    })
    .sort((a, b) => b.total - a.total || String(a.group).localeCompare(String(b.group)))
    .slice(0, groups);
}
