import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { workflowCredentials } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';

/**
 * Deletes a credential; workflows that use it fail at that node from then on. Throws not_found
 * unless the caller may see it, forbidden when they may only see it (a team viewer).
 */
export async function deleteCredential(deps: WorkflowDeps, actor: Actor, credentialId: string) {
  await asActor(deps.db, actor, async (tx) => {
    const [row] = await tx.select().from(workflowCredentials).where(eq(workflowCredentials.id, credentialId));
    const ref = row && { ownerUserId: row.userId, teamId: row.teamId };
    if (!ref || !can(actor, 'workflows.read', ref)) throw new DomainError('not_found', 'No such credential.');
    if (!can(actor, 'workflows.write', ref))
      throw new DomainError('forbidden', 'Your role lets you see this credential but not delete it.');
    await tx.delete(workflowCredentials).where(eq(workflowCredentials.id, credentialId));
  });
}
