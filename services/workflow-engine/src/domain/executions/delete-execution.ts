import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { loadExecution } from './execution-access.js';

/**
 * Deletes a finished execution with its node runs. Those who may change the workflow may (owner,
 * team writers, edit shares). Throws not_found / forbidden as loadExecution (`write`), conflict for
 * one that has not finished (cancel it first).
 */
export async function deleteExecution(deps: WorkflowDeps, actor: Actor, executionId: string) {
  await asActor(deps.db, actor, async (tx) => {
    const execution = await loadExecution(tx, actor, executionId, 'write');
    if (!['success', 'error', 'canceled'].includes(execution.status))
      throw new DomainError('conflict', 'The execution has not finished; cancel it first.');
    await tx.delete(workflowExecutions).where(eq(workflowExecutions.id, executionId));
  });
}
