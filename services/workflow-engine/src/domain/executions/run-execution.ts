import { appendEvent } from '@conduit/bus';
import { workflowEvents } from '@conduit/contracts';
import { withActor } from '@conduit/db';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { announceProgress } from '../../bus/execution-progress.js';
import { nodeExecutions, outbox, workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import type { Item } from '../../nodes/node-type.js';
import { readVersion } from '../workflows/save-graph.js';
import { executionPlan } from './execution-plan.js';
import { finishExecution, isSettled, type Outputs } from './node-run-store.js';
import { ownerContext } from './owner-context.js';
import { runNode } from './run-node.js';

const FINAL = new Set(['success', 'error', 'canceled']);

/** The items a node emitted that expressions of later nodes see as `$node.<name>`. */
const firstPort = (outputs: Outputs): Item[] => Object.values(outputs).find((items) => items.length) ?? [];

/**
 * Runs an execution from where it stands to its end or its next wait, acting as the workflow's
 * owner. Nodes run in the plan's order; a node whose result is committed is never run again, its
 * outputs are read back instead, so any worker can pick up an execution another one left at any
 * point. A finished or canceled execution is left as it is.
 */
export async function runExecution(
  deps: WorkflowDeps,
  payload: { executionId: string; workflowId: string },
): Promise<string> {
  const owner = await ownerContext(deps.db, payload.workflowId);
  if (!owner) return 'workflow gone';
  const as = async <T>(fn: Parameters<typeof withActor<T>>[2]) => {
    const result = await withActor(deps.db, owner, fn);
    announceProgress(deps.bus, payload.executionId);
    return result;
  };

  const loaded = await as(async (tx) => {
    // The first worker to take the execution up says it started (a resumed one does not again).
    const [first] = await tx
      .update(workflowExecutions)
      .set({ startedAt: sql`now()` })
      .where(
        and(
          eq(workflowExecutions.id, payload.executionId),
          eq(workflowExecutions.status, 'queued'),
          isNull(workflowExecutions.startedAt),
        ),
      )
      .returning();
    if (first)
      await appendEvent(
        tx,
        outbox,
        workflowEvents.executionStarted,
        {
          executionId: first.id,
          workflowId: first.workflowId,
          workflowVersion: first.workflowVersion,
          triggerType: first.triggerType,
        },
        null,
      );
    const [execution] = await tx
      .update(workflowExecutions)
      .set({ status: 'running', startedAt: sql`coalesce(${workflowExecutions.startedAt}, now())` })
      .where(
        and(
          eq(workflowExecutions.id, payload.executionId),
          inArray(workflowExecutions.status, ['queued', 'running', 'waiting']),
        ),
      )
      .returning();
    if (!execution) return undefined;
    const document = await readVersion(tx, execution.workflowId, execution.workflowVersion);
    const runs = await tx
      .select()
      .from(nodeExecutions)
      .where(eq(nodeExecutions.executionId, execution.id))
      .orderBy(asc(nodeExecutions.sequence));
    return { execution, document: document!, runs };
  });
  if (!loaded || FINAL.has(loaded.execution.status)) return 'nothing to do';
  const { execution, document, runs } = loaded;

  const prior = new Map(runs.map((row) => [row.nodeId, row]));
  const outputs = new Map<string, Outputs>();
  const trigger = (execution.inputData as Item[])[0] ?? {};
  let sequence = runs.length;
  let last: Outputs | undefined;

  for (const step of executionPlan(document)) {
    const { node, type } = step;
    const row = prior.get(node.id);
    if (isSettled(row)) {
      outputs.set(node.name, row!.outputData as Outputs);
      last = row!.outputData as Outputs;
      continue;
    }
    let inputs: Item[][];
    if (type.trigger) {
      if (node.id !== execution.triggerNodeId) continue;
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
      if (!reached) continue;
    }
    if (!node.isEnabled) {
      outputs.set(node.name, { main: inputs.flat() });
      continue;
    }
    const result = await runNode(deps, owner, {
      executionId: execution.id,
      workflowId: execution.workflowId,
      step,
      inputs,
      prior: row,
      sequence: sequence++,
      scope: {
        node: Object.fromEntries(
          [...outputs].map(([name, out]) => [
            name,
            { json: firstPort(out)[0] ?? null, items: firstPort(out) },
          ]),
        ),
        trigger,
        execution: {
          id: execution.id,
          startedAt: (execution.startedAt ?? execution.createdAt).toISOString(),
        },
      },
    });
    if (result.kind === 'stopped') return 'stopped';
    outputs.set(node.name, result.outputs);
    last = result.outputs;
  }

  await as((tx) =>
    finishExecution(tx, execution.id, { status: 'success', output: last ? firstPort(last) : [] }),
  );
  return 'finished';
}
