import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { WorkflowDeps } from '../../deps.js';
import type { Item } from '../../nodes/node-type.js';
import { readVersion } from '../workflows/save-graph.js';
import { loadWorkflow } from '../workflows/workflow-access.js';
import { reserveExecution } from './reserve-execution.js';
import { createExecution, enqueueExecution } from './start-execution.js';

/**
 * Runs a workflow by hand from its manual trigger (the first, or the one named), with `input` as
 * the trigger's items. Reserves one execution of usage first. Throws not_found / forbidden as
 * loadWorkflow, unprocessable when it has no enabled manual trigger, limit_reached when no
 * executions are left.
 */
export async function runWorkflow(
  deps: WorkflowDeps,
  actor: Actor,
  workflowId: string,
  body: { input: Item[]; triggerNode?: string | undefined },
) {
  const { workflow, trigger } = await asActor(deps.db, actor, async (tx) => {
    const workflow = await loadWorkflow(tx, actor, workflowId, 'execute');
    const document = await readVersion(tx, workflowId, workflow.version);
    const trigger = document!.nodes.find(
      (node) =>
        node.type === 'manual' &&
        node.isEnabled &&
        (body.triggerNode === undefined || node.name === body.triggerNode),
    );
    return { workflow, trigger };
  });
  if (!trigger)
    throw new DomainError('unprocessable', 'The workflow has no enabled manual trigger by that name.', {
      fields: { errors: [{ path: 'triggerNode', message: 'no enabled manual trigger' }] },
    });
  await reserveExecution(deps, workflow);
  const executionId = await asActor(deps.db, actor, async (tx) => {
    // Read again under the same rules: the workflow may have changed or gone meanwhile.
    const current = await loadWorkflow(tx, actor, workflowId, 'execute');
    return createExecution(tx, {
      workflow: current,
      triggerType: 'manual',
      triggerNodeId: trigger.id!,
      input: body.input.length ? body.input : [{}],
      userId: actor.userId,
      inlineMax: deps.env.ITEM_DATA_INLINE_MAX,
    });
  });
  await enqueueExecution(deps, workflowId, executionId);
  return { executionId, status: 'queued' as const };
}
