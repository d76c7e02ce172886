import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { asc } from 'drizzle-orm';
import { workflowCredentials } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { toCredentialDto } from './credential-dto.js';

const ref = (row: typeof workflowCredentials.$inferSelect) => ({
  ownerUserId: row.userId,
  teamId: row.teamId,
});

/** The credentials the caller may use: theirs and their teams', by name; never their secrets. */
export async function listCredentials(deps: WorkflowDeps, actor: Actor) {
  if (!can(actor, 'workflows.read')) return { items: [] };
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select()
      .from(workflowCredentials)
      .orderBy(asc(workflowCredentials.name))
      .limit(500);
    return { items: rows.filter((row) => can(actor, 'workflows.read', ref(row))).map(toCredentialDto) };
  });
}
