import type { Actor } from '@conduit/contracts';
import type { AnalyticsDeps } from '../../deps.js';
import { resolveScope } from '../access/viewer-scope.js';
import type { MetricName } from '../events/metrics.js';
import { totalsIn } from './totals.js';

export interface UsageQuery {
  from?: string | undefined;
  to?: string | undefined;
  metrics?: MetricName[] | undefined;
}

/** This UTC month so far, unless the query says otherwise. */
function rangeOf(query: UsageQuery, now: Date) {
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return { from: query.from ?? monthStart.toISOString(), to: query.to ?? now.toISOString() };
}

/** The actor's own totals of every metric (this month by default). */
export function myUsage(deps: Pick<AnalyticsDeps, 'db'>, actor: Actor, query: UsageQuery, now = new Date()) {
  const scope = resolveScope(actor, { scope: 'me' });
  return totalsIn(deps, actor, scope, { ...rangeOf(query, now), metrics: query.metrics });
}

/**
 * The totals of the actor's organization (this month by default). Throws forbidden without
 * analytics.read or an organization.
 */
export function organizationUsage(
  deps: Pick<AnalyticsDeps, 'db'>,
  actor: Actor,
  query: UsageQuery,
  now = new Date(),
) {
  const scope = resolveScope(actor, { scope: 'organization' });
  return totalsIn(deps, actor, scope, { ...rangeOf(query, now), metrics: query.metrics });
}
