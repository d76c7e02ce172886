import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { eq, sql } from 'drizzle-orm';
import { workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { activatedAtFor, recordActivation } from './activation.js';
import { checkConnectionReferences } from './check-connection-references.js';
import { checkCredentialReferences } from './check-credential-references.js';
import { readVersion, saveGraph } from './save-graph.js';
import { syncSchedules } from './sync-schedules.js';
import { validateGraph } from './validate-graph.js';
import { loadWorkflow } from './workflow-access.js';
import type { WorkflowDocument } from './workflow-document.js';
import { toWorkflowDto } from './workflow-dto.js';
import { checkWorkflowReferences } from './workflow-references.js';

/**
 * Replaces the whole workflow with a document, as a new version (the old ones are kept; running
 * executions go on with the version they pinned). Activating or pausing adds or removes its
 * schedules. Throws not_found / forbidden as loadWorkflow (and forbidden when an edit share
 * would change whether it is public), unprocessable for an invalid graph.
 */
export async function updateWorkflow(
  deps: WorkflowDeps,
  actor: Actor,
  workflowId: string,
  input: WorkflowDocument,
) {
  const document = validateGraph(input);
  const { row, stored, before } = await asActor(deps.db, actor, async (tx) => {
    const current = await loadWorkflow(tx, actor, workflowId, 'write', { forUpdate: true });
    if (document.isPublic !== current.isPublic && !current.access.manage)
      throw new DomainError(
        'forbidden',
        'Only the owner of this workflow (or its team) may make it public or private.',
      );
    await checkWorkflowReferences(tx, actor, document, workflowId);
    await checkCredentialReferences(tx, current, document);
    await checkConnectionReferences(
      deps.db,
      { userId: current.userId, teamId: current.teamId, orgId: current.organizationId },
      document,
    );
    const before = await readVersion(tx, workflowId, current.version);
    const version = current.version + 1;
    const [row] = await tx
      .update(workflows)
      .set({
        name: document.name,
        description: document.description,
        status: document.status,
        isPublic: document.isPublic,
        aiPrompt: document.aiPrompt,
        settings: document.settings,
        version,
        activatedAt: activatedAtFor(current.status, document.status),
        updatedAt: sql`now()`,
      })
      .where(eq(workflows.id, workflowId))
      .returning();
    const stored = await saveGraph(tx, workflowId, version, document, actor.userId);
    await recordActivation(tx, actor, current.status, row!);
    return { row: row!, stored, before };
  });
  await syncSchedules(deps, workflowId, row.status, before, stored);
  return toWorkflowDto(row, stored);
}
