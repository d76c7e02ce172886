import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { workflowShares } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { loadWorkflow } from '../workflows/workflow-access.js';
import { toShareDto } from './share-dto.js';

/**
 * Every share of a workflow, expired ones too (marked inactive), oldest first. Only those who
 * manage the workflow see them. Throws not_found / forbidden as loadWorkflow.
 */
export async function listShares(deps: WorkflowDeps, actor: Actor, workflowId: string, query: PageRequest) {
  const page = keysetPage({ by: [workflowShares.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadWorkflow(tx, actor, workflowId, 'manage');
    const rows = await tx
      .select({ ...getTableColumns(workflowShares), pageKey: page.key })
      .from(workflowShares)
      .where(and(eq(workflowShares.workflowId, workflowId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toShareDto);
  });
}
