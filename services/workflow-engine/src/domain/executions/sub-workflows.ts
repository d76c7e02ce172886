import { type ActorContext, withActor } from '@conduit/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { workflowExecutions, workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { type Item, NodeError, type SubWorkflowResults } from '../../nodes/node-type.js';
import { executionIdFor } from './execution-id.js';
import { unspill } from './large-data.js';
import { manualTriggerOf } from './manual-trigger-of.js';
import { ownerContext } from './owner-context.js';
import { startOnce } from './start-once.js';
import { dueNow, enqueueWake } from './wake-waiting-node.js';

/** Sub-workflows started by sub-workflows... stop here (a workflow that calls itself, say). */
export const MAX_SUB_WORKFLOW_DEPTH = 5;
/** A sub-workflow that ends within this is awaited in place; a longer one parks the node. */
const AWAIT_IN_PLACE_MS = 1000;

export interface ParentNode {
  executionId: string;
  workflowId: string;
  nodeId: string;
  depth: number;
}

const FINAL = ['success', 'error', 'canceled'];

/**
 * Runs a workflow once per batch of items as sub-workflows of a node, and answers their outputs
 * (in batch order) once all have succeeded. Each batch's execution is started once whatever the
 * number of runs of the node (its id comes from the parent execution, node and batch), from the
 * sub-workflow's first manual trigger, as the sub-workflow's owner; the parent's owner must be
 * able to see it. Answers `done: false` while some still run (the node then waits; a finishing
 * sub-workflow wakes it). Throws a NodeError (not retried) when one failed or could not start.
 */
export async function runSubWorkflows(
  deps: WorkflowDeps,
  parentOwner: ActorContext,
  parent: ParentNode,
  workflowId: string,
  batches: Item[][],
): Promise<SubWorkflowResults> {
  if (parent.depth + 1 > MAX_SUB_WORKFLOW_DEPTH)
    throw new NodeError(`Sub-workflows nest deeper than ${MAX_SUB_WORKFLOW_DEPTH} levels.`, false);
  const [visible] = await withActor(deps.db, parentOwner, (tx) =>
    tx.select({ id: workflows.id }).from(workflows).where(eq(workflows.id, workflowId)),
  );
  if (!visible) throw new NodeError("The sub-workflow is gone, or not this workflow owner's to run.", false);
  const ids = batches.map((_, i) => executionIdFor(`sub:${parent.executionId}:${parent.nodeId}:${i}`));
  for (const [i, batch] of batches.entries()) {
    const outcome = await startOnce(deps, {
      workflowId,
      executionId: ids[i]!,
      triggerType: 'subworkflow',
      parent,
      plan: async (workflow) => {
        if (workflow.status === 'archived') return { skip: 'it is archived' };
        const trigger = await manualTriggerOf(deps, workflow);
        return trigger
          ? { triggerNodeId: trigger, input: batch }
          : { skip: 'it has no enabled manual trigger' };
      },
    });
    if (outcome !== 'started' && outcome !== 'already started')
      throw new NodeError(`The sub-workflow did not start: ${outcome}.`, false);
  }
  const owner = await ownerContext(deps.db, workflowId);
  if (!owner) throw new NodeError('The sub-workflow is gone.', false);
  await cancelWithCanceledParent(deps, parentOwner, owner, parent, ids);
  const deadline = Date.now() + AWAIT_IN_PLACE_MS;
  for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
    const rows = await withActor(deps.db, owner, (tx) =>
      tx
        .select({
          id: workflowExecutions.id,
          status: workflowExecutions.status,
          output: workflowExecutions.outputData,
          error: workflowExecutions.errorMessage,
        })
        .from(workflowExecutions)
        .where(inArray(workflowExecutions.id, ids)),
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const failed = rows.find((row) => row.status === 'error' || row.status === 'canceled');
    if (failed)
      throw new NodeError(
        `Sub-workflow execution ${failed.id} ${failed.status === 'error' ? `failed: ${failed.error}` : 'was canceled'}`,
        false,
      );
    if (ids.every((id) => FINAL.includes(byId.get(id)?.status ?? ''))) {
      const outputs = await withActor(deps.db, owner, (tx) =>
        unspill<Item[] | null>(
          tx,
          ids.map((id) => byId.get(id)!.output),
        ),
      );
      return { done: true, outputs: outputs.map((output) => output ?? []) };
    }
    if (Date.now() > deadline) return { done: false };
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * A cancel of the parent that came while its sub-workflows were starting may have looked for them
 * before they were saved (it cancels the parent, then the children it finds). Looking at the parent
 * again once they are saved closes that gap: whichever comes second sees the other's work, so
 * children of a canceled parent are canceled here, and the node ends.
 */
async function cancelWithCanceledParent(
  deps: WorkflowDeps,
  parentOwner: ActorContext,
  childOwner: ActorContext,
  parent: ParentNode,
  ids: string[],
) {
  const [row] = await withActor(deps.db, parentOwner, (tx) =>
    tx
      .select({ status: workflowExecutions.status })
      .from(workflowExecutions)
      .where(eq(workflowExecutions.id, parent.executionId)),
  );
  if (row && row.status !== 'canceled') return;
  await withActor(deps.db, childOwner, (tx) =>
    tx
      .update(workflowExecutions)
      .set({ status: 'canceled', finishedAt: sql`now()` })
      .where(
        and(
          inArray(workflowExecutions.id, ids),
          inArray(workflowExecutions.status, ['queued', 'running', 'waiting']),
        ),
      ),
  );
  throw new NodeError('The execution was canceled while its sub-workflows were starting.', false);
}

/**
 * When a sub-workflow's execution has finished, its parent's node continues now rather than at
 * its next look (a node that was not waiting yet finds the result when it looks).
 */
export async function wakeParentOf(
  deps: WorkflowDeps,
  child: { parentExecutionId: string | null; parentWorkflowId: string | null; parentNodeId: string | null },
): Promise<void> {
  if (!child.parentExecutionId || !child.parentWorkflowId || !child.parentNodeId) return;
  const owner = await ownerContext(deps.db, child.parentWorkflowId);
  if (!owner) return;
  const wake = await withActor(deps.db, owner, (tx) =>
    dueNow(tx, { executionId: child.parentExecutionId!, nodeId: child.parentNodeId! }),
  );
  await enqueueWake(deps, wake);
}
