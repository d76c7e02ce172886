import type { EventEnvelope } from '@conduit/contracts';
import { sql } from 'drizzle-orm';
import type { WorkflowDeps } from '../../deps.js';
import { isTruthy } from '../../nodes/if-node.js';
import { executionIdFor } from '../executions/execution-id.js';
import { startOnce } from '../executions/start-once.js';
import { ExpressionError, resolveValue } from '../expressions/expression.js';

type Envelope = EventEnvelope<Record<string, unknown>>;

export interface Subscriber {
  workflow_id: string;
  node_id: string;
  config: { subject: string; filter?: string };
}

/**
 * The event triggers each event of a batch starts, in the batch's order: enabled triggers of
 * workflows active when it occurred (and still active now) that listen to its subject. One
 * look-up for the whole batch: most events (every execution's own `workflow.execution.*`) have
 * no subscriber, and a look-up each cost a transaction. Looked up after the batch was fetched, so
 * every activation committed before one of its events occurred is seen, as with one look-up each.
 */
export async function subscribersOf(deps: WorkflowDeps, batch: Envelope[]): Promise<Subscriber[][]> {
  const events = batch.map((envelope, index) => ({
    event_index: index,
    subject: envelope.subject,
    occurred_at: envelope.occurredAt,
  }));
  const rows = (await deps.db.execute(
    sql`select event_index, workflow_id, node_id, config from workflow.event_subscribers_of(${JSON.stringify(events)}::jsonb)`,
  )) as unknown as (Subscriber & { event_index: number })[];
  const subscribers = batch.map((): Subscriber[] => []);
  for (const { event_index, ...subscriber } of rows) subscribers[event_index]!.push(subscriber);
  return subscribers;
}

/**
 * Starts the workflows whose event triggers listen to this event (its `subscribers`, see
 * subscribersOf) and whose filter holds. Each (event, workflow, trigger) is one execution
 * whatever the number of deliveries (its id is derived from them; see startOnce). A workflow is
 * never started by the events of its own executions (it would feed on itself). A filter that
 * fails skips the workflow; anything but a skip throws, for the event to come again.
 * Answers what happened per workflow and trigger.
 */
export async function startFromEvent(
  deps: WorkflowDeps,
  envelope: Envelope,
  subscribers: Subscriber[],
): Promise<Map<string, string>> {
  const outcomes = new Map<string, string>();
  for (const subscriber of subscribers) {
    const workflowId = subscriber.workflow_id;
    if (envelope.data.workflowId === workflowId) continue;
    const executionId = executionIdFor(`event:${envelope.id}:${workflowId}:${subscriber.node_id}`);
    const outcome = await startOnce(deps, {
      workflowId,
      executionId,
      triggerType: 'event',
      plan: async (workflow) => {
        if (workflow.status !== 'active') return { skip: 'not active' };
        if (!(await filterHolds(deps, subscriber, envelope, executionId))) return { skip: 'filtered out' };
        return { triggerNodeId: subscriber.node_id, input: [envelope as unknown as Record<string, unknown>] };
      },
    });
    outcomes.set(`${workflowId}:${subscriber.node_id}`, outcome);
  }
  return outcomes;
}

async function filterHolds(
  deps: WorkflowDeps,
  subscriber: Subscriber,
  envelope: Envelope,
  executionId: string,
): Promise<boolean> {
  if (subscriber.config.filter === undefined) return true;
  try {
    const holds = await resolveValue(
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
    return isTruthy(holds);
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    deps.log.warn(
      { workflowId: subscriber.workflow_id, eventId: envelope.id, err: error },
      'event trigger filter failed; skipped',
    );
    return false;
  }
}
