import { randomBytes } from 'node:crypto';
import { type Transaction, uuidv7 } from '@conduit/db';
import { eq } from 'drizzle-orm';
import { type triggerTypes, workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { executionJobId } from '../../jobs/catalog.js';
import type { Item } from '../../nodes/node-type.js';
import type { WorkflowRow } from '../workflows/workflow-access.js';
import { spill } from './large-data.js';

export interface NewExecution {
  /** The workflow it runs, at its current version unless `version` says otherwise. */
  workflow: Pick<WorkflowRow, 'id' | 'version'>;
  triggerType: (typeof triggerTypes)[number];
  triggerNodeId: string;
  input: Item[];
  userId: string | null;
  /** A fixed id makes recording idempotent (a schedule tick retried records one execution). */
  id?: string;
  /** Another version than the workflow's current one (a retry from the failed node). */
  version?: number;
  retryOf?: string;
  /** Input larger than this is stored apart (see large-data). */
  inlineMax?: number;
  /** Recorded as already running since then (run in the request that started it, see run-in-request). */
  startedAt?: Date;
  /** Its resume token, when the caller must know it before the insert. */
  resumeToken?: string;
  /** The execution and node that started it as a sub-workflow, and how deep it is. */
  parent?: { executionId: string; workflowId: string; nodeId: string; depth: number };
}

/**
 * Records a queued execution of the workflow's current version, in the caller's transaction
 * (whose actor may run the workflow); the insert counts it on the workflow (a trigger, since a run
 * share may not change the workflow's row). The job that runs it is enqueued by
 * `enqueueExecution`, once this has committed.
 */
export async function createExecution(tx: Transaction, execution: NewExecution): Promise<string> {
  const id = execution.id ?? uuidv7();
  // Large input is stored apart once the row it belongs to exists.
  const small =
    execution.inlineMax === undefined ||
    Buffer.byteLength(JSON.stringify(execution.input)) <= execution.inlineMax;
  const inserted = await tx
    .insert(workflowExecutions)
    .values({
      id,
      workflowId: execution.workflow.id,
      workflowVersion: execution.version ?? execution.workflow.version,
      retryOf: execution.retryOf ?? null,
      parentExecutionId: execution.parent?.executionId ?? null,
      parentWorkflowId: execution.parent?.workflowId ?? null,
      parentNodeId: execution.parent?.nodeId ?? null,
      depth: execution.parent ? execution.parent.depth + 1 : 0,
      userId: execution.userId,
      status: execution.startedAt ? 'running' : 'queued',
      startedAt: execution.startedAt ?? null,
      triggerType: execution.triggerType,
      triggerNodeId: execution.triggerNodeId,
      inputData: small ? execution.input : [],
      resumeToken: execution.resumeToken ?? newResumeToken(),
    })
    .onConflictDoNothing()
    .returning({ id: workflowExecutions.id });
  if (!small && inserted.length)
    await tx
      .update(workflowExecutions)
      .set({ inputData: await spill(tx, id, execution.input, execution.inlineMax) })
      .where(eq(workflowExecutions.id, id));
  return id;
}

export const newResumeToken = () => randomBytes(24).toString('base64url');

/** Hands a committed execution to the worker queue (idempotent: one job per execution start). */
export async function enqueueExecution(deps: WorkflowDeps, workflowId: string, executionId: string) {
  await deps.jobs.add(
    'run-execution',
    { executionId, workflowId },
    { jobId: executionJobId(executionId, 0) },
  );
}
