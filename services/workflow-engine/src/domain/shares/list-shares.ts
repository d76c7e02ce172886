import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { asc, eq } from 'drizzle-orm';
import { workflowShares } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { loadWorkflow } from '../workflows/workflow-access.js';
import { toShareDto } from './share-dto.js';

/**
 * Every share of a workflow, expired ones too (marked inactive), oldest first. Only those who
 * manage the workflow see them. Throws not_found / forbidden as loadWorkflow.
 */
export async function listShares(deps: WorkflowDeps, actor: Actor, workflowId: string) {
  return asActor(deps.db, actor, async (tx) => {
    await loadWorkflow(tx, actor, workflowId, 'manage');
    const rows = await tx
      .select()
      .from(workflowShares)
      .where(eq(workflowShares.workflowId, workflowId))
      .orderBy(asc(workflowShares.id));
    return { items: rows.map(toShareDto) };
  });
}
