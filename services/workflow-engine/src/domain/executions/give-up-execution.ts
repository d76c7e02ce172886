import { withActor } from '@conduit/db';
import { and, eq, inArray } from 'drizzle-orm';
import { nodeExecutions, workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { announceProgress } from './execution-progress.js';
import { finishExecution } from './node-run-store.js';
import { ownerContext } from './owner-context.js';
import { wakeParentOf } from './sub-workflows.js';

/**
 * An execution whose job failed on every attempt (a crash each time, a database that would not
 * answer) is not left running for ever: it fails, naming the node it was at, with the last error.
 * One that has finished meanwhile is left as it is.
 */
export async function giveUpExecution(
  deps: WorkflowDeps,
  payload: { executionId: string; workflowId: string },
  failure: { error: string; attempts: number },
): Promise<boolean> {
  const owner = await ownerContext(deps.db, payload.workflowId);
  if (!owner) return false;
  const done = await withActor(deps.db, owner, async (tx) => {
    const [at] = await tx
      .select({ name: nodeExecutions.nodeName })
      .from(nodeExecutions)
      .where(
        and(
          eq(nodeExecutions.executionId, payload.executionId),
          inArray(nodeExecutions.status, ['running', 'waiting']),
        ),
      );
    const ended = await finishExecution(
      tx,
      payload.executionId,
      {
        status: 'error',
        error: `Given up after ${failure.attempts} attempt(s): ${failure.error}`.slice(0, 4000),
        errorNode: at?.name ?? null,
      },
      ['queued', 'running', 'waiting'],
    );
    if (!ended) return null;
    const [row] = await tx
      .select()
      .from(workflowExecutions)
      .where(eq(workflowExecutions.id, payload.executionId));
    return row ?? null;
  });
  announceProgress(deps.bus, payload.executionId);
  if (done) await wakeParentOf(deps, done);
  return done !== null;
}
