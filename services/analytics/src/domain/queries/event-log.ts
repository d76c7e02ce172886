import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq, getTableColumns, gte, lt } from 'drizzle-orm';
import { userAnalytics } from '../../db/schema.js';
import type { AnalyticsDeps } from '../../deps.js';
import { asViewer, resolveScope, type ScopeRequest } from '../access/viewer-scope.js';

export interface EventLogQuery extends ScopeRequest, PageRequest {
  from?: string | undefined;
  to?: string | undefined;
  eventType?: string | undefined;
  source?: string | undefined;
  botId?: string | undefined;
  sessionId?: string | undefined;
  workflowId?: string | undefined;
  collectionId?: string | undefined;
  accountId?: string | undefined;
}

const toEventDto = (row: typeof userAnalytics.$inferSelect) => ({
  id: row.id,
  eventType: row.eventType,
  source: row.source,
  occurredAt: row.occurredAt.toISOString(),
  receivedAt: row.receivedAt.toISOString(),
  organizationId: row.organizationId,
  userId: row.userId,
  teamId: row.teamId,
  botId: row.botId,
  sessionId: row.sessionId,
  workflowId: row.workflowId,
  collectionId: row.collectionId,
  accountId: row.accountId,
  metrics: row.metrics,
  data: row.eventData,
  clockSkewed: row.clockSkewed,
});
export type EventDto = ReturnType<typeof toEventDto>;

/**
 * The recorded events of a scope, newest first, filtered by time, type, source and subject, in
 * pages of the shared opaque cursor. Throws what resolveScope throws, and bad_request for a
 * cursor this list did not give out.
 */
export async function listEvents(deps: Pick<AnalyticsDeps, 'db'>, actor: Actor, query: EventLogQuery) {
  const scope = resolveScope(actor, query);
  const page = keysetPage({ by: [userAnalytics.occurredAt, userAnalytics.id], order: 'desc' }, query);
  const filter = and(
    scope.userId ? eq(userAnalytics.userId, scope.userId) : undefined,
    scope.teamId ? eq(userAnalytics.teamId, scope.teamId) : undefined,
    scope.organizationId ? eq(userAnalytics.organizationId, scope.organizationId) : undefined,
    query.from ? gte(userAnalytics.occurredAt, new Date(query.from)) : undefined,
    query.to ? lt(userAnalytics.occurredAt, new Date(query.to)) : undefined,
    query.eventType ? eq(userAnalytics.eventType, query.eventType) : undefined,
    query.source ? eq(userAnalytics.source, query.source) : undefined,
    query.botId ? eq(userAnalytics.botId, query.botId) : undefined,
    query.sessionId ? eq(userAnalytics.sessionId, query.sessionId) : undefined,
    query.workflowId ? eq(userAnalytics.workflowId, query.workflowId) : undefined,
    query.collectionId ? eq(userAnalytics.collectionId, query.collectionId) : undefined,
    query.accountId ? eq(userAnalytics.accountId, query.accountId) : undefined,
  );
  return asViewer(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(userAnalytics), pageKey: page.key })
      .from(userAnalytics)
      .where(and(filter, page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toEventDto);
  });
}
