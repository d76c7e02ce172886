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
