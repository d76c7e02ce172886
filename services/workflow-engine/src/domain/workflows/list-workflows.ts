import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { type workflowStatuses, workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { accessTo, sharesOf } from './workflow-access.js';
import { toSummaryDto } from './workflow-dto.js';

/** The workflows the caller can read (their own, their teams', shared with them, public ones), newest first. */
export async function listWorkflows(
  deps: WorkflowDeps,
  actor: Actor,
  query: {
    limit: number;
    cursor?: string | undefined;
    status?: (typeof workflowStatuses)[number] | undefined;
  },
) {
  if (!can(actor, 'workflows.read')) return { items: [], nextCursor: null };
  const page = keysetPage({ by: [workflows.id], order: 'desc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(workflows), pageKey: page.key })
      .from(workflows)
      .where(and(page.after, query.status ? eq(workflows.status, query.status) : undefined))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    // The cursor follows the rows read, so a page thinned by the access check still leads on.
    const { items, nextCursor } = page.of(rows, (row) => row);
    const shares = await sharesOf(
      tx,
      actor,
      items.map((row) => row.id),
    );
    return {
      items: items.filter((row) => accessTo(actor, row, shares.get(row.id)).read).map(toSummaryDto),
      nextCursor,
    };
  });
}
