import { type ActorContext, uuidv7, withActor } from '@conduit/db';
import type { WorkflowDeps } from '../../deps.js';
import type { Item, WebhookResponse } from '../../nodes/node-type.js';
import type { PlannedNode } from '../executions/execution-plan.js';
import { commitPureRuns, finishExecution, type Outputs, type PureRun } from '../executions/node-run-store.js';
import { resumeUrlOf } from '../executions/resume-url.js';
import { firstPort, prepareStep } from '../executions/run-execution.js';
import { runPureNode } from '../executions/run-node.js';
import { createExecution, newResumeToken } from '../executions/start-execution.js';
import { recordStarted } from '../executions/take-up-execution.js';
import type { VersionDocument } from '../executions/version-documents.js';
import type { WorkflowRow } from '../workflows/workflow-access.js';

/**
 * The longest a webhook's execution may run in the request before it is handed to the worker
 * queue instead: pure nodes are quick, and one that is not is better run where a crash resumes it.
 */
const IN_REQUEST_BUDGET_MS = 1000;

/**
 * Whether a webhook's execution may run in the request that called it: every enabled node is pure
 * (set, if, switch, merge, no-op, triggers, respond-to-webhook: nothing outside Postgres is
 * touched, see NodeType.pure) and no concurrency limit asks executions to wait for each other.
 */
export function runsInRequest({ document, plan }: VersionDocument): boolean {
  if (document.settings?.concurrencyLimit) return false;
  return plan.every((step) => !step.node.isEnabled || step.type.pure);
}

/**
 * Runs a webhook's execution of pure nodes in the request, in memory, then records it whole in one
 * transaction (the execution, its started and succeeded events, every node's run, the answer),
 * committed durably before the caller is answered. It is what a worker would have done, without the
 * queue and its round trips: no node touches anything outside the database, so a crash before the
 * commit leaves nothing behind (the caller sees the request fail, as it would see a worker's crash
 * before the answer), and a crash after it has nothing left to do. Undefined, with nothing
 * recorded, when a node fails or the run outlasts IN_REQUEST_BUDGET_MS: the caller then takes the
 * queued path, where retries, error outputs and the error workflow apply as for any execution.
 */
export async function runInRequest(
  deps: WorkflowDeps,
  owner: ActorContext,
  call: { workflow: WorkflowRow; plan: PlannedNode[]; triggerNodeId: string; input: Item[] },
): Promise<{ executionId: string; response: WebhookResponse } | undefined> {
  const startedAt = new Date();
  const execution = {
    id: uuidv7(),
    workflowId: call.workflow.id,
    triggerNodeId: call.triggerNodeId,
    inputData: call.input,
    wakeups: 0,
    depth: 0,
    startedAt,
    createdAt: startedAt,
    resumeToken: newResumeToken(),
  };
  const context = {
    execution,
    trigger: call.input[0] ?? {},
    outputs: new Map<string, Outputs>(),
    resumeUrl: resumeUrlOf(deps.env, execution),
  };
  const runs: PureRun[] = [];
  let last: Outputs | undefined;
  for (const step of call.plan) {
    const next = prepareStep(context, step, undefined, runs.length);
    if (next.kind === 'skip') continue;
    if (next.kind === 'passed') {
      context.outputs.set(step.node.name, next.outputs);
      continue;
    }
    const ran = await runPureNode(deps, owner, next.work);
    if (!ran || Date.now() - startedAt.getTime() > IN_REQUEST_BUDGET_MS) return undefined;
    runs.push(ran);
    context.outputs.set(step.node.name, ran.outputs);
    last = ran.outputs;
  }
  const output = last ? firstPort(last) : [];
  const inlineMax = deps.env.ITEM_DATA_INLINE_MAX;

  await withActor(deps.db, owner, async (tx) => {
    // The execution, its started event and the node runs are sent together, without waiting for
    // each answer: the transaction's connection runs them in the order sent (the node runs lock the
    // execution inserted just before), and one write and one wake-up of Postgres carry all three.
    const [, , pure] = await Promise.all([
      createExecution(tx, {
        id: execution.id,
        workflow: call.workflow,
        triggerType: 'webhook',
        triggerNodeId: call.triggerNodeId,
        input: call.input,
        userId: null,
        inlineMax,
        startedAt,
        resumeToken: execution.resumeToken,
      }),
      recordStarted(tx, { ...execution, workflowVersion: call.workflow.version, triggerType: 'webhook' }),
      // Durable: the caller is answered from this commit (a re-run could answer differently).
      commitPureRuns(tx, execution.id, runs, { inlineMax, durable: true }),
    ]);
    if (pure !== 'committed')
      throw new Error(`execution ${execution.id} was changed while it was being recorded`);
    // After the node runs' answer: they find the execution running only until this ends it.
    await finishExecution(tx, execution.id, { status: 'success', output, inlineMax });
  });
  const respond = runs.findLast((run) => run.respond)?.respond;
  // As a worker's run answers (see awaitResponse): the respond node's answer, else the output.
  return {
    executionId: execution.id,
    response: respond ?? { status: 200, headers: {}, body: output },
  };
}
