import { appendEvent } from '@conduit/bus';
import { workflowEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { and, asc, count, eq, ne, sql } from 'drizzle-orm';
import { nodeExecutions, outbox, workflowExecutions, workflowVersions } from '../../db/schema.js';
import type { WorkflowDocument } from '../workflows/workflow-document.js';
import { unspill } from './large-data.js';
import type { NodeRunRow } from './node-run-store.js';

export type TakeUp =
  | {
      kind: 'run';
      execution: typeof workflowExecutions.$inferSelect;
      document: WorkflowDocument;
      runs: NodeRunRow[];
    }
  /** The workflow's concurrency limit is reached: continue later as wakeup `wakeups`. */
  | { kind: 'held'; wakeups: number }
  | { kind: 'finished' };

/**
 * Takes an execution up for a run, in one transaction: marks it running (the first time with
 * `workflow.execution.started`) by the job `jobId`, and answers it with its pinned document and its node runs so far.
 * When the pinned version's `concurrencyLimit` of executions of the workflow already run, it is
 * held instead (counted under a per-workflow advisory lock, so the limit holds across workers).
 * Throws when the pinned version is gone (the job's attempts then run out, and it fails).
 */
export async function takeUpExecution(tx: Transaction, executionId: string, jobId?: string): Promise<TakeUp> {
  // The execution and the version it pinned, in one statement.
  const [found] = await tx
    .select({
      execution: workflowExecutions,
      // Qualified by hand: drizzle names a lone table's columns bare, which the subquery would take as its own.
      document: sql<WorkflowDocument | null>`(select pinned.document from ${workflowVersions} pinned
        where pinned.workflow_id = ${workflowExecutions}.workflow_id
          and pinned.version = ${workflowExecutions}.workflow_version)`,
    })
    .from(workflowExecutions)
    .where(eq(workflowExecutions.id, executionId))
    .for('update');
  const current = found?.execution;
  if (!current || !['queued', 'running', 'waiting'].includes(current.status)) return { kind: 'finished' };
  const { document } = found;
  if (!document) throw new Error(`Version ${current.workflowVersion} of the workflow is gone.`);

  const limit = document.settings?.concurrencyLimit;
  if (limit && current.status !== 'running') {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${current.workflowId}::text, 0))`);
    const [running] = await tx
      .select({ n: count() })
      .from(workflowExecutions)
      .where(
        and(
          eq(workflowExecutions.workflowId, current.workflowId),
          eq(workflowExecutions.status, 'running'),
          ne(workflowExecutions.id, executionId),
        ),
      );
    if (running!.n >= limit) {
      const [held] = await tx
        .update(workflowExecutions)
        .set({ wakeups: sql`${workflowExecutions.wakeups} + 1` })
        .where(eq(workflowExecutions.id, executionId))
        .returning({ wakeups: workflowExecutions.wakeups });
      return { kind: 'held', wakeups: held!.wakeups };
    }
  }

  // What is left depends only on what was read: sent together, one round trip.
  const [, [execution], runs] = await Promise.all([
    current.status === 'queued' && !current.startedAt
      ? recordStarted(tx, { ...current, id: executionId })
      : undefined,
    tx
      .update(workflowExecutions)
      .set({
        status: 'running',
        // The moment it is taken up, after any wait for its concurrency limit (now() would be the
        // transaction's start, which may come before the commit of the execution it waited for).
        startedAt: sql`coalesce(${workflowExecutions.startedAt}, clock_timestamp())`,
        ...(jobId ? { jobId } : {}),
      })
      .where(eq(workflowExecutions.id, executionId))
      .returning(),
    tx
      .select()
      .from(nodeExecutions)
      .where(eq(nodeExecutions.executionId, executionId))
      .orderBy(asc(nodeExecutions.sequence)),
  ]);
  // The executor reads the trigger's items and the outputs of settled nodes: whole, wherever kept.
  const [input, ...outputs] = await unspill(tx, [execution!.inputData, ...runs.map((run) => run.outputData)]);
  return {
    kind: 'run',
    execution: { ...execution!, inputData: input },
    document,
    runs: runs.map((run, i) => ({ ...run, outputData: outputs[i] })),
  };
}

/** `workflow.execution.started`, in the transaction that first marks the execution running. */
export const recordStarted = (
  tx: Transaction,
  execution: Pick<
    typeof workflowExecutions.$inferSelect,
    'id' | 'workflowId' | 'workflowVersion' | 'triggerType'
  >,
) =>
  appendEvent(
    tx,
    outbox,
    workflowEvents.executionStarted,
    {
      executionId: execution.id,
      workflowId: execution.workflowId,
      workflowVersion: execution.workflowVersion,
      triggerType: execution.triggerType,
    },
    null,
  );
