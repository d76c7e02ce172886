import { refusedLine, reserveUsageOf } from '@conduit/bus';
import { DomainError } from '@conduit/errors';
import type { WorkflowDeps } from '../../deps.js';
import type { WorkflowRow } from '../workflows/workflow-access.js';

/** Who pays for a workflow's executions (or a bot automation's runs): its team, else its owner. */
export const payerOf = (workflow: Pick<WorkflowRow, 'teamId' | 'userId'>) =>
  workflow.teamId
    ? ({ type: 'team', id: workflow.teamId } as const)
    : ({ type: 'user', id: workflow.userId } as const);

/**
 * Reserves one `executions` from identity before an execution is created: nothing runs unpaid
 * (a plan that does not limit executions lets it through uncounted). Throws limit_reached (402,
 * with what is left) when refused or when identity knows no subscription of the payer,
 * unavailable when identity cannot answer.
 */
export async function reserveExecution(
  deps: WorkflowDeps,
  workflow: Pick<WorkflowRow, 'teamId' | 'userId'>,
): Promise<void> {
  const answer = await reserveUsageOf(deps.bus, payerOf(workflow), [{ metric: 'executions', amount: 1 }], {
    notIncluded: "This workflow's plan does not include executions.",
    timeoutMs: deps.env.RPC_TIMEOUT,
  });
  if (!answer.granted) {
    const { remaining, limit } = refusedLine(answer);
    throw new DomainError('limit_reached', 'No executions are left in this period.', {
      fields: { remaining, limit, periodEnd: answer.periodEnd },
    });
  }
}
