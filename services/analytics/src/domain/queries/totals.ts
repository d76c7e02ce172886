import type { Actor } from '@conduit/contracts';
import { sql } from 'drizzle-orm';
import { rollups } from '../../db/schema.js';
import type { AnalyticsDeps } from '../../deps.js';
import { asViewer, resolveScope, type ScopeRequest, type ViewerScope } from '../access/viewer-scope.js';
import { type MetricName, metricNames } from '../events/metrics.js';
import { type Grouping, groupColumn, rollupFilter } from './rollup-filters.js';
import { checkRange, floorToBucket } from './time-range.js';

export interface TotalsQuery extends ScopeRequest {
  from: string;
  to: string;
  /** Absent: every metric. */
  metrics?: MetricName[] | undefined;
}

/**
 * The total of each metric over [from, to) in a scope, every asked metric present (zero when
 * nothing happened). Buckets are 15 minutes: `from` and `to` count from the bucket holding them.
 * Throws what resolveScope throws, and bad_request for an inverted or oversized range.
 */
export async function totals(deps: Pick<AnalyticsDeps, 'db'>, actor: Actor, query: TotalsQuery) {
  return totalsIn(deps, actor, resolveScope(actor, query), query);
}

/** `totals` for a scope already resolved (the usage routes choose theirs). */
export async function totalsIn(
  deps: Pick<AnalyticsDeps, 'db'>,
  actor: Actor,
  scope: ViewerScope,
  query: { from: string; to: string; metrics?: MetricName[] | undefined },
) {
  const range = checkRange(query.from, query.to);
  const asked = query.metrics?.length ? [...new Set(query.metrics)] : [...metricNames];
  const rows = await asViewer(deps.db, actor, (tx) =>
    tx
      .select({ metric: rollups.metric, value: sql<string>`sum(${rollups.value})::bigint` })
      .from(rollups)
      .where(rollupFilter({ metric: asked, scope, from: floorToBucket(range.from), to: range.to }))
      .groupBy(rollups.metric),
  );
  const found = new Map(rows.map((row) => [row.metric, Number(row.value)]));
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    totals: Object.fromEntries(asked.map((metric) => [metric, found.get(metric) ?? 0])) as Record<
      MetricName,
      number
    >,
  };
}

export interface TopQuery extends ScopeRequest {
  metric: MetricName;
  by: Grouping;
  from: string;
  to: string;
  limit: number;
}

/**
 * The `limit` groups (bots, workflows, users, ...) with the largest total of a metric over
 * [from, to) in a scope, largest first. Throws as `totals` does.
 */
export async function topGroups(deps: Pick<AnalyticsDeps, 'db'>, actor: Actor, query: TopQuery) {
  const scope = resolveScope(actor, query);
  const range = checkRange(query.from, query.to);
  const group = groupColumn(query.by);
  const value = sql<string>`sum(${rollups.value})::bigint`;
  const rows = await asViewer(deps.db, actor, (tx) =>
    tx
      .select({ id: sql<string>`${group}::text`, value })
      .from(rollups)
      .where(
        rollupFilter({
          metric: query.metric,
          scope,
          groupBy: query.by,
          from: floorToBucket(range.from),
          to: range.to,
        }),
      )
      .groupBy(group)
      .orderBy(sql`${value} desc`, group)
      .limit(query.limit),
  );
  return {
    metric: query.metric,
    by: query.by,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    items: rows.map((row) => ({ id: row.id, value: Number(row.value) })),
  };
}
