import { createHash, timingSafeEqual } from 'node:crypto';
import { withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { nodeExecutions, workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { announceProgress } from '../executions/execution-progress.js';
import { ownerContext } from '../executions/owner-context.js';
import { dueNow, enqueueWake } from '../executions/wake-waiting-node.js';
import { readVersion } from '../workflows/save-graph.js';

const sameToken = (a: string, b: string) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

const noSuchWait = () => new DomainError('not_found', 'No execution waits at this address.');

/**
 * A call of an execution's resume webhook (`$execution.resumeUrl`): the webhook wait it is parked
 * at continues now, on whichever worker takes it, with `{ body, query }` as what the call brought.
 * Acts as the workflow's owner. Throws not_found for a wrong address or token (it reveals
 * nothing), conflict when the execution is not waiting for a call (already resumed, timed out,
 * finished, or parked at another kind of wait).
 */
export async function resumeExecution(
  deps: WorkflowDeps,
  call: {
    workflowId: string;
    executionId: string;
    token: string;
    body: unknown;
    query: Record<string, unknown>;
  },
): Promise<{ executionId: string }> {
  const owner = await ownerContext(deps.db, call.workflowId);
  if (!owner) throw noSuchWait();
  const wake = await withActor(deps.db, owner, async (tx) => {
    const [execution] = await tx
      .select()
      .from(workflowExecutions)
      .where(
        and(eq(workflowExecutions.id, call.executionId), eq(workflowExecutions.workflowId, call.workflowId)),
      )
      .for('update');
    if (!execution?.resumeToken || !sameToken(call.token, execution.resumeToken)) throw noSuchWait();
    const notWaiting = new DomainError('conflict', 'The execution is not waiting for a call.');
    if (execution.status !== 'waiting') throw notWaiting;
    const [parked] = await tx
      .select()
      .from(nodeExecutions)
      .where(and(eq(nodeExecutions.executionId, execution.id), eq(nodeExecutions.status, 'waiting')));
    const document = await readVersion(tx, execution.workflowId, execution.workflowVersion);
    const node = document?.nodes.find((candidate) => candidate.id === parked?.nodeId);
    if (!parked || node?.type !== 'wait' || (node.config as { resume?: string }).resume !== 'webhook')
      throw notWaiting;
    // Answered already, and not yet taken up by a worker: the first answer stands.
    if (parked.resumeData !== null) throw notWaiting;
    return dueNow(tx, {
      executionId: execution.id,
      nodeId: parked.nodeId,
      resumeData: { body: call.body ?? null, query: call.query },
    });
  });
  await enqueueWake(deps, wake);
  announceProgress(deps.bus, call.executionId);
  return { executionId: call.executionId };
}
