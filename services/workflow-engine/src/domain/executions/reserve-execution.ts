import { DomainError } from '@conduit/errors';
import { reserveExecutionsOf } from '../../clients/usage-client.js';
import type { WorkflowDeps } from '../../deps.js';
import type { WorkflowRow } from '../workflows/workflow-access.js';

/** Who pays for a workflow's executions (or a bot automation's runs): its team, else its owner. */
export const payerOf = (workflow: Pick<WorkflowRow, 'teamId' | 'userId'>) =>
  workflow.teamId
    ? ({ type: 'team', id: workflow.teamId } as const)
    : ({ type: 'user', id: workflow.userId } as const);

/**
 * Reserves one `executions` from identity before an execution is created: nothing runs unpaid.
 * Throws limit_reached (402, with what is left) when refused or when the plan has no executions,
 * unavailable when identity cannot answer.
 */
export async function reserveExecution(
  deps: WorkflowDeps,
  workflow: Pick<WorkflowRow, 'teamId' | 'userId'>,
): Promise<void> {
  const answer = await reserveExecutionsOf(deps, payerOf(workflow));
  if (!answer.granted) {
    const line = answer.items.find((item) => item.metric === 'executions');
    throw new DomainError('limit_reached', 'No executions are left in this period.', {
      fields: { remaining: line?.remaining ?? 0, limit: line?.limit ?? 0, periodEnd: answer.periodEnd },
    });
  }
}
