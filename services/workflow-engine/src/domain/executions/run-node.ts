import { type ActorContext, withActor } from '@conduit/db';
import { completeAs, searchKnowledgeAs } from '../../clients/owner-services-client.js';
import type { WorkflowDeps } from '../../deps.js';
import { resumeJobId } from '../../jobs/catalog.js';
import { type Item, NodeError, type NodeOutcome, type WebhookResponse } from '../../nodes/node-type.js';
import { openCredential } from '../credentials/open-credential.js';
import { ExpressionError, type ExpressionScope, resolveValue } from '../expressions/expression.js';
import { openConnection } from '../integrations/open-connection.js';
import type { PlannedNode } from './execution-plan.js';
import { announceProgress, type ProgressKind } from './execution-progress.js';
import {
  claimNode,
  commitFailure,
  commitSuccess,
  commitWait,
  type NodeRunRow,
  type Outputs,
  type PureRun,
  recordFailedTry,
  reparkExecution,
} from './node-run-store.js';
import { runSubWorkflows } from './sub-workflows.js';

export type NodeResult =
  | { kind: 'done'; outputs: Outputs; respond?: WebhookResponse }
  /** Parked (wait), failed the execution, lost to another worker, or the execution was canceled. */
  | { kind: 'stopped' };

export interface NodeStep {
  executionId: string;
  workflowId: string;
  step: PlannedNode;
  inputs: Item[][];
  prior: NodeRunRow | undefined;
  sequence: number;
  /** The execution's wakeup count when it was taken up. */
  wakeups: number;
  /** How many sub-workflows deep the execution is. */
  depth: number;
  scope: Omit<ExpressionScope, 'item' | 'items'>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const withTimeout = <T>(promise: Promise<T>, ms: number | null): Promise<T> => {
  if (!ms) return promise;
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NodeError(`did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

/** What a node's run gets, but for its attempt: the same for every try of the node. */
function nodeRunner(deps: WorkflowDeps, actor: ActorContext, work: NodeStep) {
  const { step, executionId } = work;
  const { node, type } = step;
  const items = work.inputs.flat();
  // What items' effects gave in earlier tries of this node (see NodeRun.once).
  const done = new Map<number, unknown>();
  const once = async <T>(index: number, effect: () => Promise<T>): Promise<T> => {
    if (done.has(index)) return done.get(index) as T;
    const result = await effect();
    done.set(index, result);
    return result;
  };
  const resumed = work.prior?.status === 'waiting';
  return (attempt: number) =>
    withTimeout(
      type.run({
        config: node.config,
        items,
        inputs: work.inputs,
        executionId,
        node: { id: node.id, name: node.name },
        attempt,
        resumed,
        resumeData: work.prior?.resumeData ?? null,
        resolve: (value, index) =>
          resolveValue(
            value,
            { ...work.scope, item: items[index] ?? {}, items },
            deps.env.EXPRESSION_TIMEOUT,
          ),
        idempotencyKey: (index) => `${executionId}:${node.id}:${index}`,
        once,
        services: {
          http: deps.http,
          env: deps.env,
          credential: (id) => openCredential(deps, actor, id),
          connection: (id) => openConnection(deps, actor, id),
          searchKnowledge: (request) => searchKnowledgeAs(deps, actor, request),
          complete: (request) => completeAs(deps, actor, request),
          subWorkflows: (workflowId, batches) =>
            runSubWorkflows(
              deps,
              actor,
              { executionId, workflowId: work.workflowId, nodeId: node.id, depth: work.depth },
              workflowId,
              batches,
            ),
        },
      }),
      node.timeoutMs,
    );
}

/**
 * Runs a pure node (NodeType.pure) in memory, with no claim and nothing written: the caller
 * commits it later, with the pure nodes that ran next to it (see commitPureRuns). Undefined when
 * its run failed: the claimed way (runNode) then decides, with its retries and on-error settings.
 */
export async function runPureNode(
  deps: WorkflowDeps,
  actor: ActorContext,
  work: NodeStep,
): Promise<PureRun | undefined> {
  const { node } = work.step;
  const startedAt = new Date();
  const outcome = await nodeRunner(deps, actor, work)(1).catch(() => undefined);
  if (!outcome || !('outputs' in outcome)) return undefined;
  const finishedAt = new Date();
  return {
    node: { id: node.id, name: node.name, type: node.type },
    sequence: work.sequence,
    input: work.inputs.flat(),
    outputs: outcome.outputs,
    ...(outcome.respond ? { respond: outcome.respond } : {}),
    startedAt,
    finishedAt,
  };
}

/**
 * Runs one node to a committed result: claims its row, runs it, retries per its settings (a
 * failure that retrying cannot help fails at once), and commits success, a wait, or the failure
 * as its `onError` says. Every try of the node is the same claim row with a higher attempt.
 */
export async function runNode(deps: WorkflowDeps, actor: ActorContext, work: NodeStep): Promise<NodeResult> {
  const { step, executionId } = work;
  const { node } = step;
  const items = work.inputs.flat();
  // Every committed step is word to those watching the execution (live progress, webhooks).
  // A node claimed, or committed without a webhook answer, is a step (see ProgressKind).
  const as = async <T>(fn: Parameters<typeof withActor<T>>[2], kindOf?: (result: T) => ProgressKind) => {
    const result = await withActor(deps.db, actor, fn);
    announceProgress(deps.bus, executionId, kindOf?.(result));
    return result;
  };

  // A wait whose time has not come (the job ran early): park it again, as it was.
  if (work.prior?.status === 'waiting' && work.prior.resumeAt && work.prior.resumeAt.getTime() > Date.now()) {
    await as((tx) => reparkExecution(tx, executionId));
    await enqueueResume(deps, work, work.prior.resumeAt, work.wakeups);
    return { kind: 'stopped' };
  }
  const runOnce = nodeRunner(deps, actor, work);

  for (;;) {
    const claim = await as(
      (tx) =>
        claimNode(tx, {
          executionId,
          node: { id: node.id, name: node.name, type: node.type },
          sequence: work.prior?.sequence ?? work.sequence,
          input: items,
          inlineMax: deps.env.ITEM_DATA_INLINE_MAX,
        }),
      (result) => (typeof result === 'object' ? 'step' : 'change'),
    );
    if (claim === 'canceled' || claim === 'settled') return { kind: 'stopped' };
    const { attempt } = claim;
    const started = Date.now();
    let outcome: NodeOutcome;
    try {
      outcome = await runOnce(attempt);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryable =
        error instanceof ExpressionError ? false : error instanceof NodeError ? error.retryable : true;
      if (retryable && attempt < node.retry.maxTries) {
        if (
          !(await as((tx) => recordFailedTry(tx, { executionId, nodeId: node.id, attempt, error: message })))
        )
          return { kind: 'stopped' };
        await sleep(node.retry.waitBetweenTriesMs * 2 ** (attempt - 1));
        continue;
      }
      const outputs: Outputs | null =
        node.onError === 'continue'
          ? { main: items }
          : node.onError === 'error-output'
            ? { error: items.map((item) => ({ ...item, error: message })) }
            : null;
      const run = {
        executionId,
        nodeId: node.id,
        nodeName: node.name,
        attempt,
        error: message,
        execTimeMs: Date.now() - started,
        inlineMax: deps.env.ITEM_DATA_INLINE_MAX,
      };
      if (!(await as((tx) => commitFailure(tx, run, outputs))) || !outputs) return { kind: 'stopped' };
      return { kind: 'done', outputs };
    }

    if ('waitUntil' in outcome) {
      const wakeup = await as((tx) =>
        commitWait(tx, { executionId, nodeId: node.id, attempt, resumeAt: outcome.waitUntil }),
      );
      if (wakeup !== null) await enqueueResume(deps, work, outcome.waitUntil, wakeup);
      return { kind: 'stopped' };
    }
    const run = {
      executionId,
      nodeId: node.id,
      attempt,
      outputs: outcome.outputs,
      execTimeMs: Date.now() - started,
      inlineMax: deps.env.ITEM_DATA_INLINE_MAX,
    };
    const committed = await as(
      (tx) => commitSuccess(tx, run, outcome.respond),
      (ok) => (ok && !outcome.respond ? 'step' : 'change'),
    );
    if (!committed) return { kind: 'stopped' };
    return {
      kind: 'done',
      outputs: outcome.outputs,
      ...(outcome.respond ? { respond: outcome.respond } : {}),
    };
  }
}

/** Hands the execution back to the queue, to continue at `at` (a wait's end). */
async function enqueueResume(deps: WorkflowDeps, work: NodeStep, at: Date, wakeup: number) {
  await deps.jobs.add(
    'run-execution',
    { executionId: work.executionId, workflowId: work.workflowId },
    // A fresh id per wakeup; re-parking the same wakeup reuses it (enqueued once).
    { jobId: resumeJobId(work.executionId, wakeup, at), delayMs: Math.max(0, at.getTime() - Date.now()) },
  );
}
