import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { workflowExecutions, workflows } from '../../db/schema.js';
import { accessTo, sharesOf, type WorkflowAccess, type WorkflowRow } from '../workflows/workflow-access.js';

export const executionNotFound = () => new DomainError('not_found', 'No such execution.');

export type ExecutionRow = typeof workflowExecutions.$inferSelect;

/**
 * The execution, if the actor may see its workflow's runs: as owner, team member or share holder,
 * never because the workflow is public. Throws not_found otherwise, forbidden when `execute` (run,
 * cancel, retry) or `write` (delete) is asked of someone who may only read (a team viewer, a view
 * share) or only run.
 */
export async function loadExecution(
  tx: Transaction,
  actor: Actor,
  executionId: string,
  need: 'read' | 'execute' | 'write',
): Promise<ExecutionRow & { workflow: WorkflowRow; access: WorkflowAccess }> {
  const [found] = await tx
    .select({ execution: workflowExecutions, workflow: workflows })
    .from(workflowExecutions)
    .innerJoin(workflows, eq(workflows.id, workflowExecutions.workflowId))
    .where(eq(workflowExecutions.id, executionId));
  if (!found) throw executionNotFound();
  const share = (await sharesOf(tx, actor, [found.workflow.id])).get(found.workflow.id);
  const access = accessTo(actor, found.workflow, share);
  if (!access.runs) throw executionNotFound();
  if (need !== 'read' && !access[need])
    throw new DomainError('forbidden', 'You may read this execution but not change it.');
  return { ...found.execution, workflow: found.workflow, access };
}
