import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { loadWorkflow } from './workflow-access.js';
import type { WorkflowSettings } from './workflow-document.js';

/**
 * An error workflow runs as its own owner whenever this one fails: only a workflow the saver may
 * run can be named, and not the workflow itself. Throws unprocessable naming the setting.
 */
export async function checkErrorWorkflow(
  tx: Transaction,
  actor: Actor,
  settings: WorkflowSettings,
  selfId?: string,
): Promise<void> {
  const id = settings.errorWorkflowId;
  if (!id) return;
  const refuse = (message: string) =>
    new DomainError('unprocessable', `settings.errorWorkflowId: ${message}`, {
      fields: { errors: [{ path: 'settings.errorWorkflowId', message }] },
    });
  if (id === selfId) throw refuse('is this workflow itself');
  try {
    await loadWorkflow(tx, actor, id, 'execute');
  } catch (error) {
    if (error instanceof DomainError) throw refuse('is not a workflow you may run');
    throw error;
  }
}
