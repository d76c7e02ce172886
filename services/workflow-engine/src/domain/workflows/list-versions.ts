import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { and, desc, eq, lt } from 'drizzle-orm';
import { workflowVersions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { loadWorkflow } from './workflow-access.js';
import type { WorkflowDocument } from './workflow-document.js';

/** A workflow's saved versions, newest first, each whole. Throws not_found unless readable. */
export async function listVersions(
  deps: WorkflowDeps,
  actor: Actor,
  workflowId: string,
  query: { limit: number; cursor?: number | undefined },
) {
  return asActor(deps.db, actor, async (tx) => {
    await loadWorkflow(tx, actor, workflowId, 'read');
    const rows = await tx
      .select()
      .from(workflowVersions)
      .where(
        and(
          eq(workflowVersions.workflowId, workflowId),
          query.cursor ? lt(workflowVersions.version, query.cursor) : undefined,
        ),
      )
      .orderBy(desc(workflowVersions.version))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((row) => ({
        version: row.version,
        createdBy: row.createdBy,
        createdAt: row.createdAt.toISOString(),
        document: row.document as WorkflowDocument,
      })),
      nextCursor: rows.length > query.limit ? String(page.at(-1)!.version) : null,
    };
  });
}
