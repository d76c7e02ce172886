import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { asc, eq } from 'drizzle-orm';
import { nodeExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { loadExecution } from './execution-access.js';
import { toExecutionDto, toNodeRunDto } from './execution-dto.js';
import { unspill } from './large-data.js';

/** One execution with its node runs in the order they started. Throws not_found as loadExecution. */
export async function getExecution(deps: WorkflowDeps, actor: Actor, executionId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const execution = await loadExecution(tx, actor, executionId, 'read');
    const runs = await tx
      .select()
      .from(nodeExecutions)
      .where(eq(nodeExecutions.executionId, executionId))
      .orderBy(asc(nodeExecutions.sequence));
    // Whole, wherever its items are kept.
    const [input, output, ...nodeData] = await unspill(tx, [
      execution.inputData,
      execution.outputData,
      ...runs.flatMap((run) => [run.inputData, run.outputData]),
    ]);
    return {
      ...toExecutionDto({ ...execution, inputData: input, outputData: output }),
      nodes: runs.map((run, i) =>
        toNodeRunDto({ ...run, inputData: nodeData[2 * i], outputData: nodeData[2 * i + 1] }),
      ),
    };
  });
}
