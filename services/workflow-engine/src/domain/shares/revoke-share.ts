import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { workflowShares } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { loadWorkflow } from '../workflows/workflow-access.js';

/**
 * Ends a share at once. Only those who manage the workflow may. Throws not_found / forbidden as
 * loadWorkflow, not_found for a share that is not of this workflow.
 */
export async function revokeShare(deps: WorkflowDeps, actor: Actor, workflowId: string, shareId: string) {
  await asActor(deps.db, actor, async (tx) => {
    await loadWorkflow(tx, actor, workflowId, 'manage');
    const gone = await tx
      .delete(workflowShares)
      .where(and(eq(workflowShares.id, shareId), eq(workflowShares.workflowId, workflowId)))
      .returning({ id: workflowShares.id });
    if (!gone.length) throw new DomainError('not_found', 'No such share of this workflow.');
  });
}
