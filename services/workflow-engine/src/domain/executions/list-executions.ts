import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { and, desc, eq, gte, lt, lte } from 'drizzle-orm';
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
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ execution: workflowExecutions, workflow: workflows })
      .from(workflowExecutions)
      .innerJoin(workflows, eq(workflows.id, workflowExecutions.workflowId))
      .where(
        and(
          filter.cursor ? lt(workflowExecutions.id, filter.cursor) : undefined,
          filter.workflowId ? eq(workflowExecutions.workflowId, filter.workflowId) : undefined,
          filter.status ? eq(workflowExecutions.status, filter.status) : undefined,
          filter.triggerType ? eq(workflowExecutions.triggerType, filter.triggerType) : undefined,
          filter.from ? gte(workflowExecutions.createdAt, new Date(filter.from)) : undefined,
          filter.to ? lte(workflowExecutions.createdAt, new Date(filter.to)) : undefined,
        ),
      )
      .orderBy(desc(workflowExecutions.id))
      .limit(filter.limit + 1);
    const page = rows.slice(0, filter.limit);
    const shares = await sharesOf(tx, actor, [...new Set(page.map((row) => row.workflow.id))]);
    return {
      items: page
        .filter((row) => accessTo(actor, row.workflow, shares.get(row.workflow.id)).runs)
        .map((row) =>
          toExecutionDto({
            ...row.execution,
            inputData: listed(row.execution.inputData),
            outputData: listed(row.execution.outputData),
          }),
        ),
      nextCursor: rows.length > filter.limit ? page.at(-1)!.execution.id : null,
    };
  });
}
