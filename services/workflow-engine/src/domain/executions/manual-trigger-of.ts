import { withActor } from '@conduit/db';
import type { WorkflowDeps } from '../../deps.js';
import { readVersion } from '../workflows/save-graph.js';
import type { WorkflowRow } from '../workflows/workflow-access.js';
import { ownerContext } from './owner-context.js';

/**
 * The node id of a workflow's first enabled manual trigger in its current version, read as its
 * owner: where runs that nobody started by hand (error workflows, sub-workflows) begin.
 */
export async function manualTriggerOf(
  deps: WorkflowDeps,
  workflow: WorkflowRow,
): Promise<string | undefined> {
  const owner = await ownerContext(deps.db, workflow.id);
  if (!owner) return undefined;
  const document = await withActor(deps.db, owner, (tx) => readVersion(tx, workflow.id, workflow.version));
  return document?.nodes.find((node) => node.type === 'manual' && node.isEnabled)?.id;
}
