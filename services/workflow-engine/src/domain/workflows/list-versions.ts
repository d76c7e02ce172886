import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { workflowVersions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { loadWorkflow } from './workflow-access.js';
import type { WorkflowDocument } from './workflow-document.js';

/** A workflow's saved versions, newest first, each whole. Throws not_found unless readable. */
export async function listVersions(
  deps: WorkflowDeps,
  actor: Actor,
  workflowId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const page = keysetPage({ by: [workflowVersions.version], order: 'desc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadWorkflow(tx, actor, workflowId, 'read');
    const rows = await tx
      .select({ ...getTableColumns(workflowVersions), pageKey: page.key })
      .from(workflowVersions)
      .where(and(eq(workflowVersions.workflowId, workflowId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (row) => ({
      version: row.version,
      createdBy: row.createdBy,
      createdAt: row.createdAt.toISOString(),
      document: row.document as WorkflowDocument,
    }));
  });
}
