import { can, type ResourceRef } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import { type sharePermissions, workflowShares, workflows } from '../../db/schema.js';

export type WorkflowRow = typeof workflows.$inferSelect;
export type SharePermission = (typeof sharePermissions)[number];

/** The creator keeps their rights on a team workflow; the team's members get theirs by role. */
export const workflowRef = (workflow: WorkflowRow): ResourceRef => ({
  ownerUserId: workflow.userId,
  teamId: workflow.teamId,
  orgId: workflow.organizationId,
});

export const workflowNotFound = () => new DomainError('not_found', 'No such workflow.');

/**
 * What an actor may do with a workflow. `read` shows its graph; `runs` its executions (a share
 * does, a public workflow does not); `execute` starts and cancels runs; `write` saves the graph;
 * `manage` deletes it and shares it (owners and their team's writers only, never a share).
 */
export interface WorkflowAccess {
  read: boolean;
  runs: boolean;
  execute: boolean;
  write: boolean;
  manage: boolean;
}
export type WorkflowNeed = keyof WorkflowAccess;

const shareRank: Record<SharePermission, number> = { view: 1, run: 2, edit: 3 };

/**
 * The best permission of the actor's live shares of one workflow: their own, or their teams'
 * (a team viewer gets no more than view through a team share). Undefined without one.
 */
export function bestShare(
  actor: Actor,
  shares: { permission: SharePermission; sharedWithUserId: string | null; sharedWithTeamId: string | null }[],
): SharePermission | undefined {
  let best: SharePermission | undefined;
  for (const share of shares) {
    const role = share.sharedWithTeamId ? actor.teams[share.sharedWithTeamId] : undefined;
    const mine = share.sharedWithUserId === actor.userId;
    if (!mine && role === undefined) continue;
    const permission = !mine && role === 'viewer' ? 'view' : share.permission;
    if (!best || shareRank[permission] > shareRank[best]) best = permission;
  }
  return best;
}

/** The access of an actor to a workflow, given the best of their live shares of it. */
export function accessTo(actor: Actor, workflow: WorkflowRow, share?: SharePermission): WorkflowAccess {
  const ref = workflowRef(workflow);
  const owned = {
    read: can(actor, 'workflows.read', ref),
    execute: can(actor, 'workflows.execute', ref),
    write: can(actor, 'workflows.write', ref),
  };
  const rank = share ? shareRank[share] : 0;
  const shared = {
    read: rank >= 1 && can(actor, 'workflows.read'),
    execute: rank >= 2 && can(actor, 'workflows.execute'),
    write: rank >= 3 && can(actor, 'workflows.write'),
  };
  const runs = owned.read || shared.read;
  return {
    read: runs || (workflow.isPublic && can(actor, 'workflows.read')),
    runs,
    execute: runs && (owned.execute || shared.execute),
    write: runs && (owned.write || shared.write),
    manage: owned.write,
  };
}

/** Live shares of these workflows that reach the actor, as the best permission per workflow. */
export async function sharesOf(
  tx: Transaction,
  actor: Actor,
  workflowIds: string[],
): Promise<Map<string, SharePermission>> {
  if (!workflowIds.length) return new Map();
  const teamIds = Object.keys(actor.teams);
  const rows = await tx
    .select({
      workflowId: workflowShares.workflowId,
      permission: workflowShares.permission,
      sharedWithUserId: workflowShares.sharedWithUserId,
      sharedWithTeamId: workflowShares.sharedWithTeamId,
    })
    .from(workflowShares)
    .where(
      and(
        inArray(workflowShares.workflowId, workflowIds),
        or(
          eq(workflowShares.sharedWithUserId, actor.userId),
          teamIds.length ? inArray(workflowShares.sharedWithTeamId, teamIds) : undefined,
        ),
        or(isNull(workflowShares.expiresAt), gt(workflowShares.expiresAt, new Date())),
      ),
    );
  const byWorkflow = new Map<string, typeof rows>();
  for (const row of rows) byWorkflow.set(row.workflowId, [...(byWorkflow.get(row.workflowId) ?? []), row]);
  const best = new Map<string, SharePermission>();
  for (const [workflowId, shares] of byWorkflow) {
    const permission = bestShare(actor, shares);
    if (permission) best.set(workflowId, permission);
  }
  return best;
}

const refusals: Record<Exclude<WorkflowNeed, 'read' | 'runs'>, string> = {
  execute: 'You may read this workflow but not run it.',
  write: 'You may read this workflow but not change it.',
  manage: 'Only the owner of this workflow (or its team) may delete or share it.',
};

/**
 * The workflow, if the actor may use it as asked, with what they may do. Throws not_found when
 * they may not even read it (whether or not it exists: a stranger learns nothing) and when they
 * ask for its runs without being let see them (a reader of a public workflow); forbidden when
 * they may read it but not run, change or manage it (a team viewer, a view share).
 */
export async function loadWorkflow(
  tx: Transaction,
  actor: Actor,
  workflowId: string,
  need: WorkflowNeed,
  options: { forUpdate?: boolean } = {},
): Promise<WorkflowRow & { access: WorkflowAccess }> {
  const [workflow] = await tx.select().from(workflows).where(eq(workflows.id, workflowId));
  if (!workflow) throw workflowNotFound();
  const access = accessTo(actor, workflow, (await sharesOf(tx, actor, [workflowId])).get(workflowId));
  if (!access.read || (need === 'runs' && !access.runs)) throw workflowNotFound();
  if (need !== 'read' && need !== 'runs' && !access[need]) throw new DomainError('forbidden', refusals[need]);
  if (!options.forUpdate) return { ...workflow, access };
  // Locking asks row-level security for the right to change the row, not only to read it: only
  // after the checks above, so that a reader is told forbidden rather than not_found.
  const [locked] = await tx.select().from(workflows).where(eq(workflows.id, workflowId)).for('update');
  if (!locked) throw new DomainError('forbidden', refusals.write);
  return { ...locked, access };
}
