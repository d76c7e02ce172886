import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { WorkflowDeps } from '../../deps.js';

const BATCH = 1000;

/**
 * Deletes the executions that finished more than EXECUTION_RETENTION_DAYS ago, in batches (each
 * its own short transaction), through the narrow prune_executions function: the job acts for no
 * user. Answers how many went.
 */
export async function pruneExecutions(
  deps: Pick<WorkflowDeps, 'db' | 'env'>,
  now = new Date(),
): Promise<number> {
  const before = new Date(now.getTime() - deps.env.EXECUTION_RETENTION_DAYS * 86_400_000).toISOString();
  let total = 0;
  for (;;) {
    const [row] = (await withoutActor(deps.db, (tx) =>
      tx.execute(sql`select workflow.prune_executions(${before}, ${BATCH}) as gone`),
    )) as unknown as { gone: number }[];
    total += row?.gone ?? 0;
    if ((row?.gone ?? 0) < BATCH) return total;
  }
}
