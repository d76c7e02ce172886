import type { EventData, workflowEvents } from '@conduit/contracts';
import { withActor } from '@conduit/db';
import { eq } from 'drizzle-orm';
import { workflows } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import type { WorkflowSettings } from '../workflows/workflow-document.js';
import { executionIdFor } from './execution-id.js';
import { manualTriggerOf } from './manual-trigger-of.js';
import { ownerContext } from './owner-context.js';
import { startOnce } from './start-once.js';

/**
 * Runs the error workflow of a workflow whose execution failed (its `settings.errorWorkflowId`),
 * once per failed execution, from the error workflow's first enabled manual trigger, with one item
 * summing up the failure: `{ execution: { id, workflowId, workflowName, error, errorNode,
 * triggerType } }`. The failure of an error workflow's own run starts nothing (no chains, no loops).
 */
export async function startErrorWorkflow(
  deps: WorkflowDeps,
  failed: EventData<typeof workflowEvents.executionFailed>,
): Promise<string> {
  if (failed.triggerType === 'error') return 'an error run';
  const failedOwner = await ownerContext(deps.db, failed.workflowId);
  if (!failedOwner) return 'workflow gone';
  const [source] = await withActor(deps.db, failedOwner, (tx) =>
    tx
      .select({ name: workflows.name, settings: workflows.settings })
      .from(workflows)
      .where(eq(workflows.id, failed.workflowId)),
  );
  const errorWorkflowId = (source?.settings as Partial<WorkflowSettings> | undefined)?.errorWorkflowId;
  if (!source || !errorWorkflowId || errorWorkflowId === failed.workflowId) return 'none';
  return startOnce(deps, {
    workflowId: errorWorkflowId,
    executionId: executionIdFor(`error:${failed.executionId}`),
    triggerType: 'error',
    plan: async (workflow) => {
      if (workflow.status === 'archived') return { skip: 'archived' };
      const trigger = await manualTriggerOf(deps, workflow);
      if (!trigger) return { skip: 'no manual trigger' };
      const execution = {
        id: failed.executionId,
        workflowId: failed.workflowId,
        workflowName: source.name,
        error: failed.error,
        errorNode: failed.errorNode,
        triggerType: failed.triggerType,
      };
      return { triggerNodeId: trigger, input: [{ execution }] };
    },
  });
}
