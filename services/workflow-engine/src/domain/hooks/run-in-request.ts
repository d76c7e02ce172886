import { appendEvent } from '@conduit/bus';
import { workflowEvents } from '@conduit/contracts';
import { type ActorContext, type Transaction, uuidv7, withActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { nodeExecutions, outbox, workflowExecutions } from '../../db/schema.js';
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
  call: {
    workflow: Pick<WorkflowRow, 'id' | 'version'>;
    plan: PlannedNode[];
    triggerNodeId: string;
    input: Item[];
  },
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
  const respond = runs.findLast((run) => run.respond)?.respond;
  const inlineMax = deps.env.ITEM_DATA_INLINE_MAX;
  const recorded = { ...execution, workflow: call.workflow, input: call.input, runs, output, respond };
  // Durable either way: the caller is answered from this commit (a re-run could answer differently).
  await withActor(deps.db, owner, (tx) =>
    fitsInline(recorded, inlineMax)
      ? recordFinished(tx, recorded)
      : recordStepByStep(tx, recorded, inlineMax),
  );
  // As a worker's run answers (see awaitResponse): the respond node's answer, else the output.
  return {
    executionId: execution.id,
    response: respond ?? { status: 200, headers: {}, body: output },
  };
}

interface RanInRequest {
  id: string;
  workflow: Pick<WorkflowRow, 'id' | 'version'>;
  triggerNodeId: string;
  input: Item[];
  runs: PureRun[];
  output: Item[];
  respond: WebhookResponse | undefined;
  startedAt: Date;
  resumeToken: string;
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** Whether none of the run's items must be stored apart (see large-data). */
const fitsInline = (run: RanInRequest, inlineMax: number) =>
  jsonBytes(run.input) <= inlineMax &&
  jsonBytes(run.output) <= inlineMax &&
  run.runs.every((node) => jsonBytes(node.input) <= inlineMax && jsonBytes(node.outputs) <= inlineMax);

/**
 * Records the execution as it ended: its row written once, finished and answered (where a worker's
 * run inserts it, then records the answer, then finishes it: three versions of the row, two of
 * them in every index), its node runs in one insert, its started and succeeded events. Sent
 * together without waiting for each answer: the transaction's connection runs them in the order
 * sent (the node runs' row check finds the execution inserted just before), so one write and one
 * wake-up of Postgres carry them all.
 */
async function recordFinished(tx: Transaction, run: RanInRequest): Promise<void> {
  const execTimeMs = Date.now() - run.startedAt.getTime();
  const nodeRuns = run.runs.map((node) => ({
    id: uuidv7(),
    node_id: node.node.id,
    node_name: node.node.name,
    node_type: node.node.type,
    sequence: node.sequence,
    input_data: node.input,
    output_data: node.outputs,
    exec_time_ms: node.finishedAt.getTime() - node.startedAt.getTime(),
    started_at: node.startedAt.toISOString(),
    finished_at: node.finishedAt.toISOString(),
  }));
  const summary = {
    executionId: run.id,
    workflowId: run.workflow.id,
    workflowVersion: run.workflow.version,
    triggerType: 'webhook' as const,
  };
  await Promise.all([
    tx.execute(sql`
      insert into ${workflowExecutions} (id, workflow_id, workflow_version, status, trigger_type,
        trigger_node_id, input_data, output_data, response_data, exec_time_ms, resume_token, started_at,
        finished_at)
      values (${run.id}, ${run.workflow.id}, ${run.workflow.version}, 'success', 'webhook',
        ${run.triggerNodeId}, ${JSON.stringify(run.input)}::text::jsonb, ${JSON.stringify(run.output)}::text::jsonb,
        ${run.respond ? JSON.stringify(run.respond) : null}::text::jsonb, ${execTimeMs}, ${run.resumeToken},
        ${run.startedAt.toISOString()}::timestamptz, now())`),
    tx.execute(sql`
      insert into ${nodeExecutions} (id, execution_id, node_id, node_name, node_type, sequence, status,
        attempt, input_data, output_data, exec_time_ms, started_at, finished_at)
      select r.id, ${run.id}, r.node_id, r.node_name, r.node_type, r.sequence, 'success', 1,
        r.input_data, r.output_data, r.exec_time_ms, r.started_at, r.finished_at
      from jsonb_to_recordset(${JSON.stringify(nodeRuns)}::text::jsonb) as r(id uuid, node_id uuid,
        node_name text, node_type text, sequence int, input_data jsonb, output_data jsonb,
        exec_time_ms int, started_at timestamptz, finished_at timestamptz)`),
    recordStarted(tx, {
      id: run.id,
      workflowId: run.workflow.id,
      workflowVersion: run.workflow.version,
      triggerType: 'webhook',
    }),
    appendEvent(tx, outbox, workflowEvents.executionSucceeded, { ...summary, execTimeMs }, null),
  ]);
}

/**
 * Records the execution as a worker's run does, step by step: when items must be stored apart,
 * which needs the rows they belong to first.
 */
async function recordStepByStep(tx: Transaction, run: RanInRequest, inlineMax: number): Promise<void> {
  // The execution, its started event and the node runs are sent together, without waiting for
  // each answer: the transaction's connection runs them in the order sent (the node runs lock the
  // execution inserted just before).
  const [, , pure] = await Promise.all([
    createExecution(tx, {
      id: run.id,
      workflow: run.workflow,
      triggerType: 'webhook',
      triggerNodeId: run.triggerNodeId,
      input: run.input,
      userId: null,
      inlineMax,
      startedAt: run.startedAt,
      resumeToken: run.resumeToken,
    }),
    recordStarted(tx, {
      id: run.id,
      workflowId: run.workflow.id,
      workflowVersion: run.workflow.version,
      triggerType: 'webhook',
    }),
    commitPureRuns(tx, run.id, run.runs, { inlineMax, durable: true }),
  ]);
  if (pure !== 'committed') throw new Error(`execution ${run.id} was changed while it was being recorded`);
  // After the node runs' answer: they find the execution running only until this ends it.
  await finishExecution(tx, run.id, { status: 'success', output: run.output, inlineMax });
}
