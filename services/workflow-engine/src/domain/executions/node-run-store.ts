import { appendEvent } from '@conduit/bus';
import { workflowEvents } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { type executionStatuses, nodeExecutions, outbox, workflowExecutions } from '../../db/schema.js';
import type { Item, WebhookResponse } from '../../nodes/node-type.js';
import { spill } from './large-data.js';

/**
 * The durable state of node runs: each write is one short transaction, and a node's result is
 * committed before the next node starts. A row's `success` (or an `error` that carries outputs,
 * for on-error continue / error-output) is final: no claim ever takes it again.
 */

export type NodeRunRow = typeof nodeExecutions.$inferSelect;
export type Outputs = Record<string, Item[]>;

/** Is this run finished for good, with outputs the next nodes can read? */
export const isSettled = (row: NodeRunRow | undefined) =>
  !!row && (row.status === 'success' || (row.status === 'error' && row.outputData !== null));

/**
 * Takes a node for a run: creates its row, or takes over one left running, failed (between
 * tries) or waiting. Answers the attempt it now holds, `canceled` when the execution is no longer
 * running, or `settled` when another worker has finished the node meanwhile.
 */
export async function claimNode(
  tx: Transaction,
  claim: {
    executionId: string;
    node: { id: string; name: string; type: string };
    sequence: number;
    input: Item[];
    /** Items larger than this are stored apart (see large-data). */
    inlineMax?: number;
  },
): Promise<{ attempt: number } | 'canceled' | 'settled'> {
  const [execution] = await tx
    .select({ status: workflowExecutions.status })
    .from(workflowExecutions)
    .where(eq(workflowExecutions.id, claim.executionId))
    .for('update');
  if (execution?.status !== 'running') return 'canceled';
  const [row] = await tx
    .insert(nodeExecutions)
    .values({
      id: uuidv7(),
      executionId: claim.executionId,
      nodeId: claim.node.id,
      nodeName: claim.node.name,
      nodeType: claim.node.type,
      sequence: claim.sequence,
      status: 'running',
      attempt: 1,
      inputData: await spill(tx, claim.executionId, claim.input, claim.inlineMax),
    })
    .onConflictDoUpdate({
      target: [nodeExecutions.executionId, nodeExecutions.nodeId],
      set: {
        status: 'running',
        // Coming back from a wait is the same try; anything else is a new one.
        attempt: sql`case when ${nodeExecutions.status} = 'waiting' then ${nodeExecutions.attempt} else ${nodeExecutions.attempt} + 1 end`,
        startedAt: sql`now()`,
      },
      setWhere: and(
        inArray(nodeExecutions.status, ['running', 'waiting', 'error']),
        isNull(nodeExecutions.outputData),
      ),
    })
    .returning({ attempt: nodeExecutions.attempt });
  return row ? { attempt: row.attempt } : 'settled';
}

/** A pure node's run done in memory, not yet committed (see runPureNode). */
export interface PureRun {
  node: { id: string; name: string; type: string };
  sequence: number;
  input: Item[];
  outputs: Outputs;
  respond?: WebhookResponse;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * Records the runs of pure nodes (ones that need no claim, see NodeType.pure) as committed, all
 * together: one statement locks the running execution (as every claim does first), inserts the
 * settled rows and records the last webhook answer among them. `canceled` when the execution is no
 * longer running; `taken` when any of the nodes already has a row (another worker got there): then
 * nothing of this batch is kept (the caller must roll the transaction back, which an error does),
 * and the caller stops, leaving the execution to that worker.
 *
 * Unless `durable`, the commit does not wait for the disk (synchronous_commit off for this
 * transaction): that wait was most of a node's time. Nothing is lost that matters: a worker that
 * dies after the commit loses nothing (Postgres has it), and should Postgres itself crash within
 * the moment before the write reaches the disk, what is lost is pure nodes' results, which are run
 * again. The write-ahead log is one sequence, so any later commit that does wait (a claim before a
 * side effect, a wait, the end of the execution) makes every pure result before it durable too:
 * what survives a crash is always a prefix of the run, never a gap.
 */
export async function commitPureRuns(
  tx: Transaction,
  executionId: string,
  runs: PureRun[],
  options: { inlineMax?: number; durable?: boolean } = {},
): Promise<'committed' | 'canceled' | 'taken'> {
  // Items over the inline limit are stored apart first; rolled back with the rest if not committed.
  const rows = [];
  for (const run of runs)
    rows.push({
      id: uuidv7(),
      node_id: run.node.id,
      node_name: run.node.name,
      node_type: run.node.type,
      sequence: run.sequence,
      input_data: await spill(tx, executionId, run.input, options.inlineMax),
      output_data: await spill(tx, executionId, run.outputs, options.inlineMax),
      exec_time_ms: run.finishedAt.getTime() - run.startedAt.getTime(),
      started_at: run.startedAt.toISOString(),
      finished_at: run.finishedAt.toISOString(),
    });
  const respond = runs.findLast((run) => run.respond)?.respond;
  const [result] = (await tx.execute(sql`
    with execution as (
      select ${workflowExecutions.id} from ${workflowExecutions}
      where ${workflowExecutions.id} = ${executionId} and ${workflowExecutions.status} = 'running'
      for update
    ), inserted as (
      insert into ${nodeExecutions} (id, execution_id, node_id, node_name, node_type, sequence, status,
        attempt, input_data, output_data, exec_time_ms, started_at, finished_at)
      select r.id, execution.id, r.node_id, r.node_name, r.node_type, r.sequence, 'success', 1,
        r.input_data, r.output_data, r.exec_time_ms, r.started_at, r.finished_at
      from execution, jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as r(id uuid, node_id uuid,
        node_name text, node_type text, sequence int, input_data jsonb, output_data jsonb,
        exec_time_ms int, started_at timestamptz, finished_at timestamptz)
      on conflict (execution_id, node_id) do nothing
      returning execution_id
    ), answered as (
      update ${workflowExecutions} set response_data = ${respond ? JSON.stringify(respond) : null}::text::jsonb
      where ${respond !== undefined} and ${workflowExecutions.id} in (select id from execution)
        and (select count(*) from inserted) = ${rows.length}
    )
    select (select count(*) from execution)::int as running, (select count(*) from inserted)::int as inserted,
      set_config('synchronous_commit', ${options.durable ? 'on' : 'off'}, true) as synchronous_commit
  `)) as unknown as { running: number; inserted: number }[];
  if (!result?.running) return 'canceled';
  return result.inserted === rows.length ? 'committed' : 'taken';
}

const heldBy = (executionId: string, nodeId: string, attempt: number) =>
  and(
    eq(nodeExecutions.executionId, executionId),
    eq(nodeExecutions.nodeId, nodeId),
    eq(nodeExecutions.attempt, attempt),
    eq(nodeExecutions.status, 'running'),
  );

/**
 * Commits a node's result (and a webhook answer it made). False when the claim was lost to
 * another worker meanwhile: then that worker's result counts, not this one.
 */
export async function commitSuccess(
  tx: Transaction,
  run: {
    executionId: string;
    nodeId: string;
    attempt: number;
    outputs: Outputs;
    execTimeMs: number;
    inlineMax?: number;
  },
  respond?: WebhookResponse,
): Promise<boolean> {
  const done = await tx
    .update(nodeExecutions)
    .set({
      status: 'success',
      outputData: await spill(tx, run.executionId, run.outputs, run.inlineMax),
      execTimeMs: run.execTimeMs,
      finishedAt: sql`now()`,
      errorMessage: null,
    })
    .where(heldBy(run.executionId, run.nodeId, run.attempt))
    .returning({ id: nodeExecutions.id });
  if (!done.length) return false;
  if (respond)
    await tx
      .update(workflowExecutions)
      .set({ responseData: respond })
      .where(eq(workflowExecutions.id, run.executionId));
  return true;
}

/** Records a failed try that will be tried again (the row shows the error while it backs off). */
export async function recordFailedTry(
  tx: Transaction,
  run: { executionId: string; nodeId: string; attempt: number; error: string },
): Promise<boolean> {
  const done = await tx
    .update(nodeExecutions)
    .set({ status: 'error', errorMessage: run.error, finishedAt: sql`now()` })
    .where(heldBy(run.executionId, run.nodeId, run.attempt))
    .returning({ id: nodeExecutions.id });
  return done.length > 0;
}

/**
 * A node that failed for good. With outputs (on error: continue / error-output) the execution
 * goes on from it; without, the execution fails in the same transaction.
 */
export async function commitFailure(
  tx: Transaction,
  run: {
    executionId: string;
    nodeId: string;
    nodeName: string;
    attempt: number;
    error: string;
    execTimeMs: number;
    inlineMax?: number;
  },
  outputs: Outputs | null,
): Promise<boolean> {
  const done = await tx
    .update(nodeExecutions)
    .set({
      status: 'error',
      errorMessage: run.error,
      outputData: await spill(tx, run.executionId, outputs, run.inlineMax),
      execTimeMs: run.execTimeMs,
      finishedAt: sql`now()`,
    })
    .where(heldBy(run.executionId, run.nodeId, run.attempt))
    .returning({ id: nodeExecutions.id });
  if (!done.length) return false;
  if (!outputs)
    await finishExecution(tx, run.executionId, {
      status: 'error',
      error: run.error,
      errorNode: run.nodeName,
    });
  return true;
}

/**
 * Parks a node until `resumeAt` and the execution with it; answers the execution's new wakeup
 * number, for the delayed job that continues it (null when the claim was lost).
 */
export async function commitWait(
  tx: Transaction,
  run: { executionId: string; nodeId: string; attempt: number; resumeAt: Date },
): Promise<number | null> {
  const done = await tx
    .update(nodeExecutions)
    .set({ status: 'waiting', resumeAt: run.resumeAt })
    .where(heldBy(run.executionId, run.nodeId, run.attempt))
    .returning({ id: nodeExecutions.id });
  if (!done.length) return null;
  const [execution] = await tx
    .update(workflowExecutions)
    .set({ status: 'waiting', wakeups: sql`${workflowExecutions.wakeups} + 1` })
    .where(and(eq(workflowExecutions.id, run.executionId), eq(workflowExecutions.status, 'running')))
    .returning({ wakeups: workflowExecutions.wakeups });
  return execution?.wakeups ?? null;
}

/** Puts an execution taken up too early back to waiting (its wakeup stays the same). */
export async function reparkExecution(tx: Transaction, executionId: string): Promise<void> {
  await tx
    .update(workflowExecutions)
    .set({ status: 'waiting' })
    .where(and(eq(workflowExecutions.id, executionId), eq(workflowExecutions.status, 'running')));
}

/**
 * Ends a running execution, with its event (`workflow.execution.succeeded` / `failed`) in the
 * same transaction. Only a running one: a finished (or canceled) execution is never relabelled.
 */
export async function finishExecution(
  tx: Transaction,
  executionId: string,
  outcome:
    | { status: 'success'; output: unknown; inlineMax?: number }
    | { status: 'error'; error: string; errorNode: string | null },
  /** The statuses it may end from: only running, but for an execution given up from any. */
  from: (typeof executionStatuses)[number][] = ['running'],
): Promise<boolean> {
  const [done] = await tx
    .update(workflowExecutions)
    .set({
      status: outcome.status,
      outputData:
        outcome.status === 'success' ? await spill(tx, executionId, outcome.output, outcome.inlineMax) : null,
      errorMessage: outcome.status === 'error' ? outcome.error : null,
      errorNode: outcome.status === 'error' ? outcome.errorNode : null,
      finishedAt: sql`now()`,
      execTimeMs: sql`(extract(epoch from now() - coalesce(${workflowExecutions.startedAt}, ${workflowExecutions.createdAt})) * 1000)::int`,
    })
    .where(and(eq(workflowExecutions.id, executionId), inArray(workflowExecutions.status, from)))
    .returning();
  if (!done) return false;
  const summary = {
    executionId,
    workflowId: done.workflowId,
    workflowVersion: done.workflowVersion,
    triggerType: done.triggerType,
    execTimeMs: done.execTimeMs,
  };
  if (outcome.status === 'success')
    await appendEvent(tx, outbox, workflowEvents.executionSucceeded, summary, null);
  else
    await appendEvent(
      tx,
      outbox,
      workflowEvents.executionFailed,
      { ...summary, error: outcome.error, errorNode: outcome.errorNode },
      null,
    );
  return true;
}
