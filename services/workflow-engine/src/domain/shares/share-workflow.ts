import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { sql } from 'drizzle-orm';
import { workflowShares } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { loadWorkflow, type SharePermission } from '../workflows/workflow-access.js';
import { toShareDto } from './share-dto.js';

export type ShareInput = { permission: SharePermission; expiresAt?: string | null | undefined } & (
  | { userId: string; teamId?: undefined }
  | { teamId: string; userId?: undefined }
);

/**
 * Shares a workflow with a user or a team (to view, run or edit it), or changes the share they
 * already have: one share per grantee. Only those who manage the workflow may. Throws not_found /
 * forbidden as loadWorkflow, unprocessable for a share with its own owner or one already expired.
 */
export async function shareWorkflow(deps: WorkflowDeps, actor: Actor, workflowId: string, input: ShareInput) {
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now())
    throw new DomainError('unprocessable', 'The share would have expired already.', {
      fields: { errors: [{ path: 'expiresAt', message: 'is not in the future' }] },
    });
  return asActor(deps.db, actor, async (tx) => {
    const workflow = await loadWorkflow(tx, actor, workflowId, 'manage');
    if (input.userId === workflow.userId)
      throw new DomainError('unprocessable', 'The workflow is already theirs.', {
        fields: { errors: [{ path: 'userId', message: 'is the owner of the workflow' }] },
      });
    const id = uuidv7();
    const grantee = input.userId
      ? { column: workflowShares.sharedWithUserId, values: { sharedWithUserId: input.userId } }
      : { column: workflowShares.sharedWithTeamId, values: { sharedWithTeamId: input.teamId! } };
    const [share] = await tx
      .insert(workflowShares)
      .values({
        id,
        workflowId,
        sharedBy: actor.userId,
        permission: input.permission,
        expiresAt,
        ...grantee.values,
      })
      .onConflictDoUpdate({
        target: [workflowShares.workflowId, grantee.column],
        set: {
          permission: input.permission,
          expiresAt,
          sharedBy: actor.userId,
          createdAt: sql`now()`,
        },
      })
      .returning();
    // A replaced share keeps its id.
    const created = share!.id === id;
    return { share: toShareDto(share!), created };
  });
}
