import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, isNotNull, or } from 'drizzle-orm';
import { nodeExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { readVersion } from '../workflows/save-graph.js';
import { loadWorkflow } from '../workflows/workflow-access.js';
import { loadExecution } from './execution-access.js';
import { copySpilled, unspill } from './large-data.js';
import { reserveExecution } from './reserve-execution.js';
import { createExecution, enqueueExecution } from './start-execution.js';

export type RetryMode = 'from-failed' | 'from-start';

/**
 * Starts a new execution from a finished one, with the same trigger and input.
 * `from-failed`: of an execution that failed or was canceled, on the version it ran; every node
 * that had settled keeps its result (copied, never run again) and the rest run, starting with the
 * one that failed. `from-start`: of any finished execution, on the workflow's current version,
 * every node run afresh. Reserves one execution of usage. Throws not_found / forbidden as
 * loadExecution (`execute`), conflict for one still running (or a success retried from a failed
 * node), unprocessable when the current version lacks the trigger node, limit_reached.
 */
export async function retryExecution(deps: WorkflowDeps, actor: Actor, executionId: string, mode: RetryMode) {
  const original = await asActor(deps.db, actor, async (tx) => {
    const execution = await loadExecution(tx, actor, executionId, 'execute');
    if (mode === 'from-start') {
      const current = await readVersion(tx, execution.workflowId, execution.workflow.version);
      if (!current?.nodes.some((node) => node.id === execution.triggerNodeId))
        throw new DomainError(
          'unprocessable',
          'The current version no longer has the trigger this execution started from.',
          {
            fields: { errors: [{ path: 'mode', message: 'retry from the failed node instead' }] },
          },
        );
    }
    return execution;
  });
  if (!['success', 'error', 'canceled'].includes(original.status))
    throw new DomainError('conflict', 'The execution has not finished; cancel it first.');
  if (mode === 'from-failed' && original.status === 'success')
    throw new DomainError('conflict', 'Nothing failed in this execution; retry it from the start.');

  await reserveExecution(deps, original.workflow);
  const retryId = await asActor(deps.db, actor, async (tx) => {
    const workflow = await loadWorkflow(tx, actor, original.workflowId, 'execute');
    const [input] = await unspill<Record<string, unknown>[]>(tx, [original.inputData]);
    const id = await createExecution(tx, {
      workflow,
      version: mode === 'from-failed' ? original.workflowVersion : workflow.version,
      triggerType: 'retry',
      triggerNodeId: original.triggerNodeId,
      input: input!,
      inlineMax: deps.env.ITEM_DATA_INLINE_MAX,
      userId: actor.userId,
      retryOf: original.id,
    });
    if (mode === 'from-failed') await reuseSettledRuns(tx, original.id, id);
    return id;
  });
  await enqueueExecution(deps, original.workflowId, retryId);
  return { executionId: retryId, status: 'queued' as const };
}

/** Copies the node runs of `from` that settled (succeeded, or failed with outputs to go on from). */
async function reuseSettledRuns(tx: Parameters<Parameters<typeof asActor>[2]>[0], from: string, to: string) {
  const settled = await tx
    .select()
    .from(nodeExecutions)
    .where(
      and(
        eq(nodeExecutions.executionId, from),
        or(
          eq(nodeExecutions.status, 'success'),
          and(eq(nodeExecutions.status, 'error'), isNotNull(nodeExecutions.outputData)),
        ),
      ),
    );
  for (const run of settled)
    await tx.insert(nodeExecutions).values({
      ...run,
      id: uuidv7(),
      executionId: to,
      // Items kept apart belong to their execution: the retry gets copies of its own.
      inputData: await copySpilled(tx, run.inputData, to),
      outputData: await copySpilled(tx, run.outputData, to),
    });
}
