import type { ActorContext, Database } from '@conduit/db';
import { sql } from 'drizzle-orm';

/**
 * The row-level security context of a workflow's owner, for work that starts without a user
 * (the execution worker, webhooks, schedules): it acts as the owner, within the owner's rows.
 * Undefined when the workflow no longer exists.
 */
export async function ownerContext(db: Database, workflowId: string): Promise<ActorContext | undefined> {
  const rows = (await db.execute(
    sql`select user_id, organization_id, team_id from workflow.workflow_owner(${workflowId})`,
  )) as unknown as { user_id: string; organization_id: string | null; team_id: string | null }[];
  const owner = rows[0];
  if (!owner) return undefined;
  const teams = owner.team_id ? [owner.team_id] : [];
  return { userId: owner.user_id, orgId: owner.organization_id, teamIds: teams, writableTeamIds: teams };
}

/** How long a workflow's owner is remembered: a workflow never changes owner, only goes away. */
const OWNER_TTL_MS = 30_000;
const OWNERS_KEPT = 1000;
const owners = new Map<string, { owner: ActorContext; until: number }>();

/**
 * ownerContext, remembered per workflow for a while: an execution's job and a webhook call each
 * asked Postgres again. A workflow's owner (user, team) is fixed at its creation, so what is kept
 * stays true; once the workflow is deleted, the rows acted on are gone with it and the work finds
 * nothing, as it would with no owner.
 */
export async function cachedOwnerContext(
  db: Database,
  workflowId: string,
): Promise<ActorContext | undefined> {
  const kept = owners.get(workflowId);
  if (kept && kept.until > Date.now()) return kept.owner;
  const owner = await ownerContext(db, workflowId);
  owners.delete(workflowId);
  if (owner) {
    if (owners.size >= OWNERS_KEPT) owners.delete(owners.keys().next().value as string);
    owners.set(workflowId, { owner, until: Date.now() + OWNER_TTL_MS });
  }
  return owner;
}
