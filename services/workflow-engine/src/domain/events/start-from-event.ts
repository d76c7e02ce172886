import type { EventEnvelope } from '@conduit/contracts';
import { withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq, sql } from 'drizzle-orm';
import { workflowExecutions, workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { isTruthy } from '../../nodes/if-node.js';
import { executionIdFor } from '../executions/execution-id.js';
import { ownerContext } from '../executions/owner-context.js';
import { reserveExecution } from '../executions/reserve-execution.js';
import { createExecution, enqueueExecution } from '../executions/start-execution.js';
import { ExpressionError, resolveValue } from '../expressions/expression.js';

interface Subscriber {
  workflow_id: string;
  node_id: string;
  config: { subject: string; filter?: string };
}

export type EventOutcome = 'started' | 'already started' | 'filtered out' | 'no usage left' | 'not active';

/**
 * Starts the workflows whose event triggers listen to this event: active when it occurred and
 * still active now, and whose filter holds. Each (event, workflow, trigger) is one execution
 * whatever the number of deliveries: its id is derived from them, and a redelivered event only
 * hands an execution that is still queued to the queue again. A workflow is never started by the
 * events of its own executions (it would feed on itself). A filter that fails skips the workflow;
 * a trigger without usage left is skipped; anything else throws, for the event to come again.
 */
export async function startFromEvent(
  deps: WorkflowDeps,
  envelope: EventEnvelope<Record<string, unknown>>,
): Promise<Map<string, EventOutcome>> {
  const subscribers = (await deps.db.execute(
    sql`select workflow_id, node_id, config from workflow.event_subscribers(${envelope.subject}, ${envelope.occurredAt})`,
  )) as unknown as Subscriber[];
  const outcomes = new Map<string, EventOutcome>();
  for (const subscriber of subscribers) {
    if (envelope.data.workflowId === subscriber.workflow_id) continue;
    outcomes.set(
      `${subscriber.workflow_id}:${subscriber.node_id}`,
      await startOne(deps, envelope, subscriber),
    );
  }
  return outcomes;
}

async function startOne(
  deps: WorkflowDeps,
  envelope: EventEnvelope<Record<string, unknown>>,
  subscriber: Subscriber,
): Promise<EventOutcome> {
  const workflowId = subscriber.workflow_id;
  const executionId = executionIdFor(`event:${envelope.id}:${workflowId}:${subscriber.node_id}`);
  const actor = await ownerContext(deps.db, workflowId);
  if (!actor) return 'not active';
  const known = await withActor(deps.db, actor, async (tx) => {
    const [execution] = await tx
      .select({ status: workflowExecutions.status })
      .from(workflowExecutions)
      .where(eq(workflowExecutions.id, executionId));
    const [workflow] = await tx.select().from(workflows).where(eq(workflows.id, workflowId));
    return { execution, workflow };
  });
  if (known.execution) {
    if (known.execution.status === 'queued') await enqueueExecution(deps, workflowId, executionId);
    return 'already started';
  }
  if (known.workflow?.status !== 'active') return 'not active';

  if (subscriber.config.filter !== undefined) {
    let holds: unknown;
    try {
      holds = await resolveValue(
        subscriber.config.filter,
        {
          item: envelope,
          items: [envelope],
          node: {},
          trigger: envelope,
          execution: { id: executionId, startedAt: new Date().toISOString() },
        },
        deps.env.EXPRESSION_TIMEOUT,
      );
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      deps.log.warn({ workflowId, eventId: envelope.id, err: error }, 'event trigger filter failed; skipped');
      return 'filtered out';
    }
    if (!isTruthy(holds)) return 'filtered out';
  }

  try {
    await reserveExecution(deps, known.workflow);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'limit_reached') {
      deps.log.warn({ workflowId, eventId: envelope.id }, 'event trigger skipped: no executions left');
      return 'no usage left';
    }
    throw error;
  }
  await withActor(deps.db, actor, (tx) =>
    createExecution(tx, {
      id: executionId,
      workflow: known.workflow!,
      triggerType: 'event',
      triggerNodeId: subscriber.node_id,
      input: [envelope as unknown as Record<string, unknown>],
      userId: null,
    }),
  );
  await enqueueExecution(deps, workflowId, executionId);
  return 'started';
}
