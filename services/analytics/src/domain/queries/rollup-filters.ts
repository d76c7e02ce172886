import { and, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { NONE, rollups } from '../../db/schema.js';
import type { ViewerScope } from '../access/viewer-scope.js';
import type { Dimension, MetricName } from '../events/metrics.js';

/** What counters can be grouped by: a dimension of the event, or the user or team it belongs to. */
export const groupings = ['bot', 'workflow', 'collection', 'account', 'user', 'team'] as const;
export type Grouping = (typeof groupings)[number];

/** Which level of counters answers a question (see drizzle/0002_counter_levels.sql). */
export type CounterLevel = 'user' | 'team' | 'organization';

/**
 * The coarsest level that holds the answer: a user's rows when the question is about users (one,
 * or split by user), a team's when about teams, the organization's otherwise. Each level counts
 * every event once, so a sum never mixes two levels.
 */
export function levelOf(scope: ViewerScope, groupBy?: Grouping): CounterLevel {
  if (scope.userId || groupBy === 'user') return 'user';
  if (scope.teamId || groupBy === 'team') return 'team';
  return 'organization';
}

/**
 * A level's rows, with `none` written as a constant rather than a parameter: the statement then
 * matches its level's partial index (drizzle/0003_counter_level_indexes.sql) in a generic plan too,
 * which a prepared statement gets after a few runs.
 */
const none = sql.raw(`'${NONE}'::uuid`);
const levelFilter: Record<CounterLevel, SQL> = {
  user: sql`${rollups.userId} <> ${none}`,
  team: sql`${rollups.userId} = ${none} and ${rollups.teamId} <> ${none}`,
  organization: sql`${rollups.userId} = ${none} and ${rollups.teamId} = ${none}`,
};

/** The counter rows of a metric (or several) in a scope, split by `groupBy` (totals when absent). */
export function rollupFilter(options: {
  metric: MetricName | readonly MetricName[];
  scope: ViewerScope;
  groupBy?: Grouping | undefined;
  from?: Date;
  to?: Date;
}): SQL {
  const { metric, scope, groupBy } = options;
  const dimension: Dimension | '' = groupBy && groupBy !== 'user' && groupBy !== 'team' ? groupBy : '';
  return and(
    typeof metric === 'string' ? eq(rollups.metric, metric) : inArray(rollups.metric, [...metric]),
    eq(rollups.dimension, dimension),
    options.from ? gte(rollups.bucket, options.from) : undefined,
    options.to ? lt(rollups.bucket, options.to) : undefined,
    levelFilter[levelOf(scope, groupBy)],
    scope.userId ? eq(rollups.userId, scope.userId) : undefined,
    scope.teamId ? eq(rollups.teamId, scope.teamId) : undefined,
    scope.organizationId ? eq(rollups.organizationId, scope.organizationId) : undefined,
  )!;
}

/** The column a grouping reads its group ids from. */
export const groupColumn = (groupBy: Grouping) =>
  groupBy === 'user' ? rollups.userId : groupBy === 'team' ? rollups.teamId : rollups.dimensionId;
