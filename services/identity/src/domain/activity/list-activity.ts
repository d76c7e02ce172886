import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, type SQL } from 'drizzle-orm';
import { userAccountActivities } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { isPlatformAdminNow } from '../rbac/rbac-authority.js';
import { assertLiveSession } from '../sessions/live-session.js';

const toActivityDto = (row: typeof userAccountActivities.$inferSelect) => ({
  id: row.id,
  userId: row.userId,
  organizationId: row.organizationId,
  type: row.type,
  ip: row.ip,
  userAgent: row.userAgent,
  metadata: (row.metadata ?? {}) as Record<string, unknown>,
  createdAt: row.createdAt.toISOString(),
});
export type ActivityDto = ReturnType<typeof toActivityDto>;

/** Newest first: ids are uuidv7, so id order is time order. Throws bad_request for a bad cursor. */
async function pageOfActivity(tx: Transaction, filter: SQL | undefined, query: PageRequest) {
  const page = keysetPage({ by: [userAccountActivities.id], order: 'desc' }, query);
  const rows = await tx
    .select({ ...getTableColumns(userAccountActivities), pageKey: page.key })
    .from(userAccountActivities)
    .where(and(filter, page.after))
    .orderBy(...page.orderBy)
    .limit(page.limit);
  return page.of(rows, toActivityDto);
}

/** The actor's own audit trail, newest first. (The platform admin, too, sees only their own here.) */
export async function listMyActivity(deps: IdentityDeps, actor: Actor, page: PageRequest) {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    return pageOfActivity(tx, eq(userAccountActivities.userId, actor.userId), page);
  });
}

/**
 * Everyone's audit trail for the platform admin, newest first, optionally of one user or one type.
 * Throws forbidden for anyone else, also for an admin whose role was taken since their token was
 * issued.
 */
export async function listActivityAsAdmin(
  deps: IdentityDeps,
  actor: Actor,
  query: PageRequest & { userId?: string | undefined; type?: string | undefined },
) {
  if (!actor.platformAdmin) throw notAdmin();
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    if (!(await isPlatformAdminNow(tx, actor))) throw notAdmin();
    const filter = and(
      query.userId ? eq(userAccountActivities.userId, query.userId) : undefined,
      query.type ? eq(userAccountActivities.type, query.type) : undefined,
    );
    return pageOfActivity(tx, filter, query);
  });
}

const notAdmin = () => new DomainError('forbidden', 'Only platform admins read everyone’s activity.');
