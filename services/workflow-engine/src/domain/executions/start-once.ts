import { withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { type triggerTypes, workflowExecutions, workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import type { Item } from '../../nodes/node-type.js';
import type { WorkflowRow } from '../workflows/workflow-access.js';
import { ownerContext } from './owner-context.js';
import { reserveExecution } from './reserve-execution.js';
import { createExecution, enqueueExecution, type NewExecution } from './start-execution.js';

export interface StartOnce {
  workflowId: string;
  /** Fixed by what starts it (an event, a failed execution): the same start is one execution. */
  executionId: string;
  triggerType: (typeof triggerTypes)[number];
  parent?: NewExecution['parent'];
  /** Which trigger node starts it with which items, or why it does not start. */
  plan(workflow: WorkflowRow): Promise<{ triggerNodeId: string; input: Item[] } | { skip: string }>;
}

/**
 * Starts an execution that nobody asked for by hand (an event, an error workflow), acting as the
 * workflow's owner, at most once: an execution of that id already recorded is only handed to the
 * queue again while still queued. Reserves usage first; a start without usage left is skipped
 * (answered `no usage left`), not retried. Answers what happened.
 */
export async function startOnce(deps: WorkflowDeps, start: StartOnce): Promise<string> {
  const owner = await ownerContext(deps.db, start.workflowId);
  if (!owner) return 'workflow gone';
  const known = await withActor(deps.db, owner, async (tx) => {
    const [execution] = await tx
      .select({ status: workflowExecutions.status })
      .from(workflowExecutions)
      .where(eq(workflowExecutions.id, start.executionId));
    const [workflow] = await tx.select().from(workflows).where(eq(workflows.id, start.workflowId));
    return { execution, workflow };
  });
  if (known.execution) {
    if (known.execution.status === 'queued')
      await enqueueExecution(deps, start.workflowId, start.executionId);
    return 'already started';
  }
  if (!known.workflow) return 'workflow gone';
  const plan = await start.plan(known.workflow);
  if ('skip' in plan) return plan.skip;
  try {
    await reserveExecution(deps, known.workflow);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'limit_reached') {
      deps.log.warn(
        { workflowId: start.workflowId },
        `${start.triggerType} start skipped: no executions left`,
      );
      return 'no usage left';
    }
    throw error;
  }
  await withActor(deps.db, owner, (tx) =>
    createExecution(tx, {
      id: start.executionId,
      workflow: known.workflow!,
      triggerType: start.triggerType,
      triggerNodeId: plan.triggerNodeId,
      input: plan.input,
      userId: null,
      inlineMax: deps.env.ITEM_DATA_INLINE_MAX,
      ...(start.parent ? { parent: start.parent } : {}),
    }),
  );
  await enqueueExecution(deps, start.workflowId, start.executionId);
  return 'started';
}
