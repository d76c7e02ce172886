import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { WorkflowDeps } from '../../deps.js';
import { createWorkflow } from './create-workflow.js';
import { readVersion } from './save-graph.js';
import { loadWorkflow } from './workflow-access.js';

/**
 * Copies a workflow the caller may read (their own, shared with them, or public) into a new
 * draft of theirs (or of one of their teams), private, named as asked or "Copy of ...". Throws
 * not_found as loadWorkflow, and as createWorkflow where the copy may not be created.
 */
export async function copyWorkflow(
  deps: WorkflowDeps,
  actor: Actor,
  workflowId: string,
  input: { name?: string | undefined; teamId?: string | undefined },
) {
  const document = await asActor(deps.db, actor, async (tx) => {
    const source = await loadWorkflow(tx, actor, workflowId, 'read');
    return (await readVersion(tx, workflowId, source.version))!;
  });
  return createWorkflow(deps, actor, {
    ...document,
    name: input.name ?? `Copy of ${document.name}`.slice(0, 200),
    status: 'draft',
    isPublic: false,
    teamId: input.teamId,
  });
}
