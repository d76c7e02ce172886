import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { z } from 'zod';
import type { WorkflowDeps } from '../../deps.js';
import { createWorkflow } from './create-workflow.js';
import { readVersion } from './save-graph.js';
import { loadWorkflow } from './workflow-access.js';
import { workflowDocument } from './workflow-document.js';

/** The exchange format: a workflow's document, marked so an import knows what it reads. */
export const workflowExport = z
  .object({
    format: z.literal('conduit.workflow'),
    formatVersion: z.literal(1),
    workflow: workflowDocument,
  })
  .strict();

/** A workflow as an export document. Throws not_found unless the caller may read it. */
export async function exportWorkflow(deps: WorkflowDeps, actor: Actor, workflowId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const row = await loadWorkflow(tx, actor, workflowId, 'read');
    const document = await readVersion(tx, workflowId, row.version);
    return { format: 'conduit.workflow' as const, formatVersion: 1 as const, workflow: document! };
  });
}

/**
 * Creates a workflow from an export, as a draft (an import never starts schedules by itself).
 * Errors as createWorkflow.
 */
export function importWorkflow(
  deps: WorkflowDeps,
  actor: Actor,
  input: z.output<typeof workflowExport> & { teamId?: string | undefined },
) {
  return createWorkflow(deps, actor, { ...input.workflow, status: 'draft', teamId: input.teamId });
}
