import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { WorkflowDeps } from '../../deps.js';
import { executionJobId, resumeJobId } from '../../jobs/catalog.js';

const BATCH = 500;
const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

interface Unattended {
  id: string;
  workflow_id: string;
  status: 'queued' | 'waiting';
  wakeups: number;
  resume_at: Date | string | null;
}

/**
 * Hands to the queue again the executions that lost their job: saved but never enqueued (the
 * process died between commit and enqueue), enqueued before their row was visible, or waiting
 * past their time with no delayed job left. An execution whose job is still in the queue is left
 * alone; a re-sent one gets a job id of its own (ids of finished jobs are not reused). Acts for
 * no user through the narrow unattended_executions function. Answers how many were re-sent.
 */
export async function sweepExecutions(deps: Pick<WorkflowDeps, 'db' | 'env' | 'jobs'>, now = new Date()) {
  const before = new Date(now.getTime() - deps.env.EXECUTION_SWEEP_AFTER).toISOString();
  const rows = (await withoutActor(deps.db, (tx) =>
    tx.execute(
      sql`select id, workflow_id, status, wakeups, resume_at from workflow.unattended_executions(${before}, ${BATCH})`,
    ),
  )) as unknown as Unattended[];
  let resent = 0;
  for (const row of rows) {
    const candidates = [executionJobId(row.id, row.wakeups)];
    if (row.resume_at) candidates.push(resumeJobId(row.id, row.wakeups, new Date(row.resume_at)));
    let live = false;
    for (const jobId of candidates) {
      const job = await deps.jobs.queue.getJob(jobId);
      if (job && LIVE.has(await job.getState())) live = true;
    }
    if (live) continue;
    await deps.jobs.add(
      'run-execution',
      { executionId: row.id, workflowId: row.workflow_id },
      { jobId: `${candidates[0]}-swept-${now.getTime()}` },
    );
    resent++;
  }
  return resent;
}
