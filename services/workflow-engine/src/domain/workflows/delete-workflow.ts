import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { eq } from 'drizzle-orm';
import { workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { readVersion } from './save-graph.js';
import { syncSchedules } from './sync-schedules.js';
import { loadWorkflow } from './workflow-access.js';

/**
 * Deletes a workflow with its versions, executions and shares, and removes its schedules. Only its
 * owner (or its team's writers) may. Throws not_found / forbidden as loadWorkflow.
 */
export async function deleteWorkflow(deps: WorkflowDeps, actor: Actor, workflowId: string) {
  const before = await asActor(deps.db, actor, async (tx) => {
    const current = await loadWorkflow(tx, actor, workflowId, 'manage', { forUpdate: true });
    const before = await readVersion(tx, workflowId, current.version);
    await tx.delete(workflows).where(eq(workflows.id, workflowId));
    return before;
  });
  await syncSchedules(deps, workflowId, 'archived', before, undefined);
}
