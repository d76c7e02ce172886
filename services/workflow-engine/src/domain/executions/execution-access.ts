import { can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { workflowExecutions, workflows } from '../../db/schema.js';
import { workflowRef } from '../workflows/workflow-access.js';

export const executionNotFound = () => new DomainError('not_found', 'No such execution.');

/**
 * The execution, if the actor may see its workflow's runs: as owner or team member, never
 * because the workflow is public. Throws not_found otherwise, forbidden when `execute` is asked
 * of someone who may only read (a team viewer).
 */
export async function loadExecution(
  tx: Transaction,
  actor: Actor,
  executionId: string,
  need: 'read' | 'execute',
) {
  const [found] = await tx
    .select({ execution: workflowExecutions, workflow: workflows })
    .from(workflowExecutions)
    .innerJoin(workflows, eq(workflows.id, workflowExecutions.workflowId))
    .where(eq(workflowExecutions.id, executionId));
  if (!found || !can(actor, 'workflows.read', workflowRef(found.workflow))) throw executionNotFound();
  if (need === 'execute' && !can(actor, 'workflows.execute', workflowRef(found.workflow)))
    throw new DomainError('forbidden', 'Your role lets you read this execution but not cancel it.');
  return found.execution;
}
