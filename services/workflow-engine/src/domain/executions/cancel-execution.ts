import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { cancelSubWorkflows } from './cancel-sub-workflows.js';
import { loadExecution } from './execution-access.js';
import { listed, toExecutionDto } from './execution-dto.js';
import { announceProgress } from './execution-progress.js';
import { wakeParentOf } from './sub-workflows.js';

/**
 * Cancels an execution that has not finished: no further node starts (a node running now ends
 * its run, and its result is not used), and the sub-workflow executions it started and awaits
 * are canceled with it. Throws conflict for a finished one (never relabelled),
 * not_found / forbidden as loadExecution.
 */
export async function cancelExecution(deps: WorkflowDeps, actor: Actor, executionId: string) {
  const canceled = await asActor(deps.db, actor, async (tx) => {
    await loadExecution(tx, actor, executionId, 'execute');
    const [canceled] = await tx
      .update(workflowExecutions)
      .set({ status: 'canceled', finishedAt: sql`now()` })
      .where(
        and(
          eq(workflowExecutions.id, executionId),
          inArray(workflowExecutions.status, ['queued', 'running', 'waiting']),
        ),
      )
      .returning();
    if (!canceled) throw new DomainError('conflict', 'The execution has already finished.');
    return canceled;
  });
  announceProgress(deps.bus, executionId);
  await cancelSubWorkflows(deps, canceled);
  await wakeParentOf(deps, canceled);
  return toExecutionDto({ ...canceled, inputData: listed(canceled.inputData) });
}
