import { withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import type { Job } from 'bullmq';
import { eq } from 'drizzle-orm';
import { workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { executionIdFor } from '../../domain/executions/execution-id.js';
import { ownerContext } from '../../domain/executions/owner-context.js';
import { reserveExecution } from '../../domain/executions/reserve-execution.js';
import { createExecution, enqueueExecution } from '../../domain/executions/start-execution.js';
import { readVersion } from '../../domain/workflows/save-graph.js';

/**
 * One tick of a schedule: starts an execution when the workflow is still active and the node
 * still an enabled schedule trigger (a tick that raced a pause does nothing). A tick without
 * usage left is skipped, not retried.
 */
export async function fireScheduleJob(
  deps: WorkflowDeps,
  payload: { workflowId: string; nodeId: string },
  job?: Job,
) {
  const actor = await ownerContext(deps.db, payload.workflowId);
  if (!actor) return 'workflow gone';
  const found = await withActor(deps.db, actor, async (tx) => {
    const [workflow] = await tx.select().from(workflows).where(eq(workflows.id, payload.workflowId));
    if (workflow?.status !== 'active') return undefined;
    const document = await readVersion(tx, workflow.id, workflow.version);
    const node = document?.nodes.find((n) => n.id === payload.nodeId && n.type === 'schedule' && n.isEnabled);
    return node ? workflow : undefined;
  });
  if (!found) return 'not active';
  try {
    await reserveExecution(deps, found);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'limit_reached') {
      deps.log.warn({ workflowId: found.id }, 'schedule tick skipped: no executions left');
      return 'no usage left';
    }
    throw error;
  }
  // The tick this job stands for: a scheduler's job is added ahead, delayed until its tick, which
  // BullMQ keeps as `prevMillis` (timestamp + delay can be a few ms off when adding it was slow).
  const tick = job ? (job.opts.prevMillis ?? job.timestamp + (job.opts.delay ?? 0)) : Date.now();
  const firedAt = new Date(tick).toISOString();
  const executionId = await withActor(deps.db, actor, (tx) =>
    createExecution(tx, {
      id: job?.id ? executionIdFor(`schedule:${job.id}`) : undefined,
      workflow: found,
      triggerType: 'schedule',
      triggerNodeId: payload.nodeId,
      input: [{ firedAt }],
      userId: null,
    }),
  );
  await enqueueExecution(deps, found.id, executionId);
  return executionId;
}
