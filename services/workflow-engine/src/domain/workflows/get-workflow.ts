import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { WorkflowDeps } from '../../deps.js';
import { readVersion } from './save-graph.js';
import { loadWorkflow } from './workflow-access.js';
import { toWorkflowDto } from './workflow-dto.js';

/** The whole workflow (its current version). Throws not_found unless the caller may read it. */
export async function getWorkflow(deps: WorkflowDeps, actor: Actor, workflowId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const row = await loadWorkflow(tx, actor, workflowId, 'read');
    const document = await readVersion(tx, workflowId, row.version);
    return toWorkflowDto(row, document!);
  });
}
