import type { WorkflowDeps } from '../../deps.js';
import type { WorkflowDocument } from './workflow-document.js';

const schedulerId = (workflowId: string, nodeId: string) => `schedule-${workflowId}-${nodeId}`;

const scheduleNodes = (document: WorkflowDocument | undefined) =>
  (document?.nodes ?? []).filter((node) => node.type === 'schedule' && node.isEnabled && node.id);

/**
 * Makes the queue's job schedulers match a workflow: one per enabled schedule node while the
 * workflow is active, none otherwise. A BullMQ job scheduler fires once per tick however many
 * workers run. Called after the change is committed; `before` is the document it replaced.
 */
export async function syncSchedules(
  deps: Pick<WorkflowDeps, 'jobs'>,
  workflowId: string,
  status: string,
  before: WorkflowDocument | undefined,
  after: WorkflowDocument | undefined,
): Promise<void> {
  const keep = status === 'active' ? scheduleNodes(after) : [];
  const keepIds = new Set(keep.map((node) => node.id));
  for (const node of scheduleNodes(before))
    if (!keepIds.has(node.id)) await deps.jobs.unschedule(schedulerId(workflowId, node.id!));
  for (const node of keep) {
    const config = node.config as { cron: string; timezone: string };
    await deps.jobs.schedule(
      schedulerId(workflowId, node.id!),
      'fire-schedule',
      { workflowId, nodeId: node.id! },
      { pattern: config.cron, tz: config.timezone },
    );
  }
}
