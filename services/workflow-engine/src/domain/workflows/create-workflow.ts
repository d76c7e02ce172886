import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { activatedAtFor, recordActivation } from './activation.js';
import { checkConnectionReferences } from './check-connection-references.js';
import { checkCredentialReferences } from './check-credential-references.js';
import { saveGraph } from './save-graph.js';
import { syncSchedules } from './sync-schedules.js';
import { validateGraph } from './validate-graph.js';
import type { WorkflowDocument } from './workflow-document.js';
import { toWorkflowDto } from './workflow-dto.js';
import { checkWorkflowReferences } from './workflow-references.js';

/**
 * Creates a workflow owned by the caller, or by one of their teams, from a whole document (its
 * version 1). Throws forbidden without `workflows.write` (or as a viewer of that team), not_found
 * for a team they are not in, unprocessable for a graph that does not hold together.
 */
export async function createWorkflow(
  deps: WorkflowDeps,
  actor: Actor,
  input: WorkflowDocument & { teamId?: string | undefined },
  /** More work that must commit with the workflow (counting a template's use). */
  alongside?: (tx: Transaction) => Promise<unknown>,
) {
  const { teamId, ...rest } = input;
  if (teamId && !actor.platformAdmin && actor.teams[teamId] === undefined)
    throw new DomainError('not_found', 'No such team among yours.');
  if (!can(actor, 'workflows.write', teamId ? { teamId, orgId: actor.orgId } : undefined))
    throw new DomainError('forbidden', 'Your role does not let you create workflows here.');
  const document = validateGraph(rest);
  await checkConnectionReferences(
    deps.db,
    { userId: actor.userId, teamId: teamId ?? null, orgId: actor.orgId },
    document,
  );
  const { row, stored } = await asActor(deps.db, actor, async (tx) => {
    await checkWorkflowReferences(tx, actor, document);
    await checkCredentialReferences(tx, { userId: actor.userId, teamId: teamId ?? null }, document);
    const id = uuidv7();
    const [row] = await tx
      .insert(workflows)
      .values({
        id,
        organizationId: actor.orgId,
        userId: actor.userId,
        teamId: teamId ?? null,
        name: document.name,
        description: document.description,
        status: document.status,
        isPublic: document.isPublic,
        aiPrompt: document.aiPrompt,
        settings: document.settings,
        version: 1,
        activatedAt: activatedAtFor(undefined, document.status),
      })
      .returning();
    const stored = await saveGraph(tx, id, 1, document, actor.userId);
    await recordActivation(tx, actor, undefined, row!);
    await alongside?.(tx);
    return { row: row!, stored };
  });
  await syncSchedules(deps, row.id, row.status, undefined, stored);
  return toWorkflowDto(row, stored);
}
