import type { Transaction } from '@conduit/db';
import { and, eq, sql } from 'drizzle-orm';
import { nodeExecutions, workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { resumeJobId } from '../../jobs/catalog.js';

/**
 * Makes a node parked in a waiting execution due now (with what woke it, if anything), in the
 * caller's transaction; answers the job to enqueue once that commits, or null when the execution
 * or node is not waiting (nothing to wake).
 */
export async function dueNow(
  tx: Transaction,
  wake: { executionId: string; nodeId: string; resumeData?: unknown },
): Promise<{ jobId: string; executionId: string; workflowId: string } | null> {
  const now = new Date();
  const [node] = await tx
    .update(nodeExecutions)
    .set({ resumeAt: now, ...(wake.resumeData !== undefined ? { resumeData: wake.resumeData } : {}) })
    .where(
      and(
        eq(nodeExecutions.executionId, wake.executionId),
        eq(nodeExecutions.nodeId, wake.nodeId),
        eq(nodeExecutions.status, 'waiting'),
      ),
    )
    .returning({ id: nodeExecutions.id });
  if (!node) return null;
  const [execution] = await tx
    .update(workflowExecutions)
    .set({ wakeups: sql`${workflowExecutions.wakeups} + 1` })
    .where(and(eq(workflowExecutions.id, wake.executionId), eq(workflowExecutions.status, 'waiting')))
    .returning({ wakeups: workflowExecutions.wakeups, workflowId: workflowExecutions.workflowId });
  if (!execution) return null;
  return {
    jobId: resumeJobId(wake.executionId, execution.wakeups, now),
    executionId: wake.executionId,
    workflowId: execution.workflowId,
  };
}

/** Enqueues what dueNow answered, after its transaction committed. */
export async function enqueueWake(
  deps: Pick<WorkflowDeps, 'jobs'>,
  wake: { jobId: string; executionId: string; workflowId: string } | null,
) {
  if (!wake) return;
  await deps.jobs.add(
    'run-execution',
    { executionId: wake.executionId, workflowId: wake.workflowId },
    { jobId: wake.jobId },
  );
}
