import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { getTableColumns } from 'drizzle-orm';
import { workflowCredentials } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { toCredentialDto } from './credential-dto.js';

const ref = (row: typeof workflowCredentials.$inferSelect) => ({
  ownerUserId: row.userId,
  teamId: row.teamId,
});

/** The credentials the caller may use: theirs and their teams', by name; never their secrets. */
export async function listCredentials(deps: WorkflowDeps, actor: Actor, query: PageRequest) {
  if (!can(actor, 'workflows.read')) return { items: [], nextCursor: null };
  const page = keysetPage({ by: [workflowCredentials.name, workflowCredentials.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(workflowCredentials), pageKey: page.key })
      .from(workflowCredentials)
      .where(page.after)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    // The cursor follows the rows read, so a page thinned by the access check still leads on.
    const { items, nextCursor } = page.of(rows, (row) => row);
    return {
      items: items.filter((row) => can(actor, 'workflows.read', ref(row))).map(toCredentialDto),
      nextCursor,
    };
  });
}
