import { withActor } from '@conduit/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { readVersion } from '../workflows/save-graph.js';
import { announceProgress } from './execution-progress.js';
import { ownerContext } from './owner-context.js';
import { MAX_SUB_WORKFLOW_DEPTH } from './sub-workflows.js';

/** Node types that start sub-workflows, each naming the workflow in its config's `workflowId`. */
const STARTS_SUB_WORKFLOWS = new Set(['execute-workflow', 'loop']);

/**
 * Cancels the unfinished executions that an execution started as sub-workflows (its
 * execute-workflow and loop nodes), and theirs in turn: a canceled run leaves nothing running on
 * its behalf. Each is canceled as its own workflow's owner (a sub-workflow may be another user's
 * that the parent's owner may run), found by the workflows the parent's pinned version names.
 * Answers the ids canceled; finished ones are left as they are (never relabelled).
 */
export async function cancelSubWorkflows(
  deps: WorkflowDeps,
  parent: { id: string; workflowId: string; workflowVersion: number },
  depth = 0,
): Promise<string[]> {
  if (depth >= MAX_SUB_WORKFLOW_DEPTH) return [];
  const owner = await ownerContext(deps.db, parent.workflowId);
  if (!owner) return [];
  const document = await withActor(deps.db, owner, (tx) =>
    readVersion(tx, parent.workflowId, parent.workflowVersion),
  );
  const children = new Set(
    (document?.nodes ?? [])
      .filter((node) => STARTS_SUB_WORKFLOWS.has(node.type))
      .map((node) => (node.config as { workflowId?: unknown }).workflowId)
      .filter((id): id is string => typeof id === 'string'),
  );
  const canceled: string[] = [];
  for (const workflowId of children) {
    const childOwner = await ownerContext(deps.db, workflowId);
    if (!childOwner) continue;
    const rows = await withActor(deps.db, childOwner, (tx) =>
      tx
        .update(workflowExecutions)
        .set({ status: 'canceled', finishedAt: sql`now()` })
        .where(
          and(
            eq(workflowExecutions.workflowId, workflowId),
            eq(workflowExecutions.parentExecutionId, parent.id),
            inArray(workflowExecutions.status, ['queued', 'running', 'waiting']),
          ),
        )
        .returning({
          id: workflowExecutions.id,
          workflowId: workflowExecutions.workflowId,
          workflowVersion: workflowExecutions.workflowVersion,
        }),
    );
    for (const child of rows) {
      announceProgress(deps.bus, child.id);
      canceled.push(child.id, ...(await cancelSubWorkflows(deps, child, depth + 1)));
    }
  }
  return canceled;
}
