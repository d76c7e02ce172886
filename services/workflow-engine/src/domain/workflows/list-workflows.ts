import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { and, desc, eq, lt } from 'drizzle-orm';
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
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select()
      .from(workflows)
      .where(
        and(
          query.cursor ? lt(workflows.id, query.cursor) : undefined,
          query.status ? eq(workflows.status, query.status) : undefined,
        ),
      )
      .orderBy(desc(workflows.id))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    const shares = await sharesOf(
      tx,
      actor,
      page.map((row) => row.id),
    );
    return {
      items: page.filter((row) => accessTo(actor, row, shares.get(row.id)).read).map(toSummaryDto),
      nextCursor: rows.length > query.limit ? page.at(-1)!.id : null,
    };
  });
}
