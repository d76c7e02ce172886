import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage } from '@conduit/db';
import { and, eq, gte, lte } from 'drizzle-orm';
import { type executionStatuses, type triggerTypes, workflowExecutions, workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { accessTo, sharesOf } from '../workflows/workflow-access.js';
import { listed, toExecutionDto } from './execution-dto.js';

export interface ExecutionFilter {
  limit: number;
  cursor?: string | undefined;
  workflowId?: string | undefined;
  status?: (typeof executionStatuses)[number] | undefined;
  triggerType?: (typeof triggerTypes)[number] | undefined;
  /** Created at or after / before these instants. */
  from?: string | undefined;
  to?: string | undefined;
}

/** Executions of the workflows whose runs the caller may see, newest first, filtered. */
export async function listExecutions(deps: WorkflowDeps, actor: Actor, filter: ExecutionFilter) {
  if (!can(actor, 'workflows.read')) return { items: [], nextCursor: null };
  const page = keysetPage({ by: [workflowExecutions.id], order: 'desc' }, filter);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ execution: workflowExecutions, workflow: workflows, pageKey: page.key })
      .from(workflowExecutions)
      .innerJoin(workflows, eq(workflows.id, workflowExecutions.workflowId))
      .where(
        and(
          page.after,
          filter.workflowId ? eq(workflowExecutions.workflowId, filter.workflowId) : undefined,
          filter.status ? eq(workflowExecutions.status, filter.status) : undefined,
          filter.triggerType ? eq(workflowExecutions.triggerType, filter.triggerType) : undefined,
          filter.from ? gte(workflowExecutions.createdAt, new Date(filter.from)) : undefined,
          filter.to ? lte(workflowExecutions.createdAt, new Date(filter.to)) : undefined,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    // The cursor follows the rows read, so a page thinned by the access check still leads on.
    const { items, nextCursor } = page.of(rows, (row) => row);
    const shares = await sharesOf(tx, actor, [...new Set(items.map((row) => row.workflow.id))]);
    return {
      items: items
        .filter((row) => accessTo(actor, row.workflow, shares.get(row.workflow.id)).runs)
        .map((row) =>
          toExecutionDto({
            ...row.execution,
            inputData: listed(row.execution.inputData),
            outputData: listed(row.execution.outputData),
          }),
        ),
      nextCursor,
    };
  });
}
