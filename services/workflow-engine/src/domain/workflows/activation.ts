import { appendEvent } from '@conduit/bus';
import { type Actor, workflowEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { outbox, type workflowStatuses } from '../../db/schema.js';
import type { WorkflowRow } from './workflow-access.js';

type Status = (typeof workflowStatuses)[number];

/**
 * `activated_at` for a save that moves a workflow from `before` (undefined: a new workflow) to
 * `after`: now when it becomes active, unchanged while it stays active, null otherwise (event
 * triggers start it only for events from its activation on).
 */
export const activatedAtFor = (before: Status | undefined, after: Status) =>
  after !== 'active' ? null : before === 'active' ? undefined : sql`now()`;

/** Records `workflow.workflow.activated` in the outbox when the save made the workflow active. */
export async function recordActivation(
  tx: Transaction,
  actor: Actor,
  before: Status | undefined,
  row: WorkflowRow,
): Promise<void> {
  if (row.status !== 'active' || before === 'active') return;
  await appendEvent(
    tx,
    outbox,
    workflowEvents.workflowActivated,
    { workflowId: row.id, version: row.version, ownerUserId: row.userId, teamId: row.teamId },
    { userId: actor.userId, sessionId: actor.sessionId, orgId: actor.orgId },
  );
}
