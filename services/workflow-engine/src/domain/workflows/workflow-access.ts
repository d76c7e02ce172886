import { can, type ResourceRef } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { workflows } from '../../db/schema.js';

export type WorkflowRow = typeof workflows.$inferSelect;

/** The creator keeps their rights on a team workflow; the team's members get theirs by role. */
export const workflowRef = (workflow: WorkflowRow): ResourceRef => ({
  ownerUserId: workflow.userId,
  teamId: workflow.teamId,
  orgId: workflow.organizationId,
});

export const workflowNotFound = () => new DomainError('not_found', 'No such workflow.');

/** May the actor read it: by ownership or team, or because it is public (read only). */
export const canRead = (actor: Actor, workflow: WorkflowRow) =>
  can(actor, 'workflows.read', workflowRef(workflow)) || (workflow.isPublic && can(actor, 'workflows.read'));

const needs = {
  read: undefined,
  write: {
    permission: 'workflows.write',
    refusal: 'Your role lets you read this workflow but not change it.',
  },
  execute: {
    permission: 'workflows.execute',
    refusal: 'Your role lets you read this workflow but not run it.',
  },
} as const;

/**
 * The workflow, if the actor may use it as asked. Throws not_found when they may not even read
 * it (whether or not it exists: a stranger learns nothing), forbidden when they may read it but
 * not change or run it (a team viewer, anyone on a public workflow).
 */
export async function loadWorkflow(
  tx: Transaction,
  actor: Actor,
  workflowId: string,
  need: keyof typeof needs,
  options: { forUpdate?: boolean } = {},
): Promise<WorkflowRow> {
  const [workflow] = await tx.select().from(workflows).where(eq(workflows.id, workflowId));
  if (!workflow || !canRead(actor, workflow)) throw workflowNotFound();
  const required = needs[need];
  if (required && !can(actor, required.permission, workflowRef(workflow)))
    throw new DomainError('forbidden', required.refusal);
  if (!options.forUpdate) return workflow;
  // Locking asks row-level security for the right to change the row, not only to read it: only
  // after the checks above, so that a reader is told forbidden rather than not_found.
  const [locked] = await tx.select().from(workflows).where(eq(workflows.id, workflowId)).for('update');
  if (!locked) throw new DomainError('forbidden', needs.write.refusal);
  return locked;
}
