import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { loadWorkflow } from './workflow-access.js';
import type { WorkflowDocument } from './workflow-document.js';

/** The other workflows a document starts: its error workflow, and its sub-workflow nodes'. */
export function workflowReferences(
  document: WorkflowDocument,
): { id: string; path: string; node?: string }[] {
  const found: { id: string; path: string; node?: string }[] = [];
  if (document.settings.errorWorkflowId)
    found.push({ id: document.settings.errorWorkflowId, path: 'settings.errorWorkflowId' });
  document.nodes.forEach((node, i) => {
    const id = (node.config as { workflowId?: unknown } | null)?.workflowId;
    if ((node.type === 'execute-workflow' || node.type === 'loop') && typeof id === 'string')
      found.push({ id, path: `nodes.${i}.config.workflowId`, node: node.name });
  });
  return found;
}

/**
 * A workflow it names runs as its own owner whenever this one starts it: only a workflow the saver
 * may run can be named, and not the workflow itself. Throws unprocessable naming each reference.
 */
export async function checkWorkflowReferences(
  tx: Transaction,
  actor: Actor,
  document: WorkflowDocument,
  selfId?: string,
): Promise<void> {
  const problems: { path: string; message: string }[] = [];
  for (const reference of workflowReferences(document)) {
    const prefix = reference.node ? `node "${reference.node}": ` : '';
    if (reference.id === selfId) {
      problems.push({ path: reference.path, message: `${prefix}is this workflow itself` });
      continue;
    }
    try {
      await loadWorkflow(tx, actor, reference.id, 'execute');
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      problems.push({ path: reference.path, message: `${prefix}is not a workflow you may run` });
    }
  }
  if (problems.length)
    throw new DomainError(
      'unprocessable',
      `The workflow names workflows it may not start: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      { fields: { errors: problems } },
    );
}
