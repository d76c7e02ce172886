import { type ActorContext, type Transaction, withActor } from '@conduit/db';
import { eq } from 'drizzle-orm';
import { workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { executionJobId } from '../../jobs/catalog.js';
import type { Item } from '../../nodes/node-type.js';
import { executionPlan, type PlannedNode } from './execution-plan.js';
import { announceProgress, type ProgressKind } from './execution-progress.js';
import {
  commitPureRuns,
  finishExecution,
  isSettled,
  type NodeRunRow,
  type Outputs,
  type PureRun,
} from './node-run-store.js';
import { cachedOwnerContext } from './owner-context.js';
import { resumeUrlOf } from './resume-url.js';
import { type NodeStep, runNode, runPureNode } from './run-node.js';
import { wakeParentOf } from './sub-workflows.js';
import { takeUpExecution } from './take-up-execution.js';

/** How long an execution held by its workflow's concurrency limit waits before trying again. */
const HOLD_MS = 500;

/**
 * The longest pure nodes' results wait in memory for their commit: a long run of them still shows
 * its progress, and a webhook's answer among them is not held back for long.
 */
const PURE_BATCH_MS = 100;

/** The items a node emitted that expressions of later nodes see as `$node.<name>`. */
export const firstPort = (outputs: Outputs): Item[] =>
  Object.values(outputs).find((items) => items.length) ?? [];

/**
 * Runs an execution from where it stands to its end or its next wait, acting as the workflow's
 * owner. Nodes run in the plan's order; a node whose result is committed is never run again, its
 * outputs are read back instead, so any worker can pick up an execution another one left at any
 * point. A finished or canceled execution is left as it is; one over its workflow's concurrency
 * limit is handed back to the queue to try again shortly.
 */
export async function runExecution(
  deps: WorkflowDeps,
  payload: { executionId: string; workflowId: string },
  jobId?: string,
): Promise<string> {
  const owner = await cachedOwnerContext(deps.db, payload.workflowId);
  if (!owner) return 'workflow gone';
  const as = async <T>(fn: Parameters<typeof withActor<T>>[2], kindOf?: (result: T) => ProgressKind) => {
    const result = await withActor(deps.db, owner, fn);
    announceProgress(deps.bus, payload.executionId, kindOf?.(result));
    return result;
  };

  // Taken up to run is a step: it neither answers a webhook nor ends the execution.
  const taken = await as(
    (tx) => takeUpExecution(tx, payload.executionId, jobId),
    (result) => (result.kind === 'run' ? 'step' : 'change'),
  );
  if (taken.kind === 'finished') return 'nothing to do';
  if (taken.kind === 'held') {
    await deps.jobs.add('run-execution', payload, {
      jobId: executionJobId(payload.executionId, taken.wakeups),
      delayMs: HOLD_MS + Math.floor(Math.random() * HOLD_MS),
    });
    return 'held';
  }
  const { execution, document, runs } = taken;

  const prior = new Map(runs.map((row) => [row.nodeId, row]));
  const outputs = new Map<string, Outputs>();
  const trigger = (execution.inputData as Item[])[0] ?? {};
  let sequence = runs.length;
  let last: Outputs | undefined;

  // Pure nodes that ran since the last commit, committed together (see commitPureRuns): before
  // the next node that is not pure, when they have been held PURE_BATCH_MS, or with the end.
  let pending: PureRun[] = [];
  const commitPending = async (finish?: () => (tx: Transaction) => Promise<boolean>) => {
    const batch = pending;
    pending = [];
    const answered = batch.some((run) => run.respond) || !!finish;
    const committed = await as(
      async (tx) => {
        if (batch.length) {
          const outcome = await commitPureRuns(tx, execution.id, batch, {
            inlineMax: deps.env.ITEM_DATA_INLINE_MAX,
            // A webhook's caller is answered from this commit: it must not be lost in a crash of
            // Postgres, as a re-run could answer differently ($now, $random in expressions).
            durable: answered,
          });
          // Taken by another worker: nothing of this batch may stay (it is that worker's now).
          if (outcome === 'taken') throw new BatchNotCommitted();
          if (outcome === 'canceled') return false;
        }
        return finish ? finish()(tx) : true;
      },
      (ok) => (ok && !answered ? 'step' : 'change'),
    ).catch((error: unknown) => {
      if (error instanceof BatchNotCommitted) return false;
      throw error;
    });
    return committed;
  };
  const stop = async () => {
    // It may have ended here (a node failed for good): a parent waiting on it goes on.
    if (execution.parentExecutionId && (await hasFinished(deps, owner, execution.id)))
      await wakeParentOf(deps, execution);
    return 'stopped';
  };

  const context = { execution, trigger, outputs, resumeUrl: resumeUrlOf(deps.env, execution) };
  for (const step of executionPlan(document)) {
    const { node, type } = step;
    const row = prior.get(node.id);
    if (isSettled(row)) {
      outputs.set(node.name, row!.outputData as Outputs);
      last = row!.outputData as Outputs;
      continue;
    }
    const next = prepareStep(context, step, row, sequence);
    if (next.kind === 'skip') continue;
    if (next.kind === 'passed') {
      outputs.set(node.name, next.outputs);
      continue;
    }
    sequence++;
    const work = next.work;
    // A pure node runs in memory and waits for the next commit: run again after a crash, it does
    // the same, so no claim is needed. One that failed goes the claimed way below.
    const ran = type.pure && !row ? await runPureNode(deps, owner, work) : undefined;
    if (ran) {
      pending.push(ran);
      outputs.set(node.name, ran.outputs);
      last = ran.outputs;
      if (Date.now() - pending[0]!.finishedAt.getTime() >= PURE_BATCH_MS && !(await commitPending()))
        return stop();
      continue;
    }
    // What ran before a node with effects is committed first: its claim must follow a settled past.
    if (pending.length && !(await commitPending())) return stop();
    const result = await runNode(deps, owner, work);
    if (result.kind === 'stopped') return stop();
    outputs.set(node.name, result.outputs);
    last = result.outputs;
  }

  const finished = await commitPending(
    () => (tx) =>
      finishExecution(tx, execution.id, {
        status: 'success',
        output: last ? firstPort(last) : [],
        inlineMax: deps.env.ITEM_DATA_INLINE_MAX,
      }),
  );
  if (!finished) return stop();
  await wakeParentOf(deps, execution);
  return 'finished';
}

/** What a step of the plan needs of the execution it is part of. */
export interface StepContext {
  execution: Pick<
    typeof workflowExecutions.$inferSelect,
    'id' | 'workflowId' | 'triggerNodeId' | 'inputData' | 'wakeups' | 'depth' | 'startedAt' | 'createdAt'
  >;
  trigger: Item;
  /** The outputs of the nodes run so far, by name. */
  outputs: Map<string, Outputs>;
  resumeUrl: string | undefined;
}

/**
 * What the next node of the plan gets: its inputs from the outputs so far, and the expression
 * scope. `skip` when it does not run (another trigger, or a branch not taken); `passed` when it
 * is disabled and hands its items on untouched.
 */
export function prepareStep(
  context: StepContext,
  step: PlannedNode,
  prior: NodeRunRow | undefined,
  sequence: number,
): { kind: 'skip' } | { kind: 'passed'; outputs: Outputs } | { kind: 'run'; work: NodeStep } {
  const { node, type } = step;
  const { execution, outputs } = context;
  let inputs: Item[][];
  if (type.trigger) {
    if (node.id !== execution.triggerNodeId) return { kind: 'skip' };
    inputs = [execution.inputData as Item[]];
  } else {
    inputs = Array.from({ length: type.inputs?.(node.config) ?? 1 }, () => []);
    let reached = false;
    for (const connection of step.incoming) {
      const items = outputs.get(connection.source)?.[connection.type] ?? [];
      if (items.length) reached = true;
      inputs[connection.targetInput]!.push(...items);
    }
    // No items came this way (a branch not taken): the node does not run.
    if (!reached) return { kind: 'skip' };
  }
  if (!node.isEnabled) return { kind: 'passed', outputs: { main: inputs.flat() } };
  return {
    kind: 'run',
    work: {
      executionId: execution.id,
      workflowId: execution.workflowId,
      step,
      inputs,
      prior,
      sequence,
      wakeups: execution.wakeups,
      depth: execution.depth,
      scope: {
        node: Object.fromEntries(
          [...outputs].map(([name, out]) => [
            name,
            { json: firstPort(out)[0] ?? null, items: firstPort(out) },
          ]),
        ),
        trigger: context.trigger,
        execution: {
          id: execution.id,
          startedAt: (execution.startedAt ?? execution.createdAt).toISOString(),
          resumeUrl: context.resumeUrl,
        },
      },
    },
  };
}

/** A batch of pure runs found another worker's rows: it is rolled back, not committed in part. */
class BatchNotCommitted extends Error {}

async function hasFinished(deps: WorkflowDeps, owner: ActorContext, executionId: string) {
  const [row] = await withActor(deps.db, owner, (tx) =>
    tx
      .select({ status: workflowExecutions.status })
      .from(workflowExecutions)
      .where(eq(workflowExecutions.id, executionId)),
  );
  return row?.status === 'success' || row?.status === 'error' || row?.status === 'canceled';
}
