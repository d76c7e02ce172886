import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { WorkflowDeps } from '../../deps.js';
import { executionJobId, resumeJobId } from '../../jobs/catalog.js';
import { giveUpExecution } from './give-up-execution.js';

const BATCH = 500;
const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

interface Unattended {
  id: string;
  workflow_id: string;
  wakeups: number;
  resume_at: Date | string | null;
}

interface Running {
  id: string;
  workflow_id: string;
  wakeups: number;
  /** As Postgres renders it: microseconds kept, so the walk's position is exact. */
  started_at: string;
  /** The job that took it up last. */
  job_id: string;
}

/**
 * Where this process's sweeps are in the walk over running executions (in the order they
 * started): each sweep looks at the next page, and starts again from the first after the last.
 */
let runningAfter: { startedAt: string; id: string } | undefined;

/**
 * Hands to the queue again the executions that lost their job: saved but never enqueued (the
 * process died between commit and enqueue), enqueued before their row was visible, waiting past
 * their time with no delayed job left, or running with the job that took them up gone from the
 * queue or ended. An execution whose job is still in the queue is left alone; one whose job ran
 * out of attempts without the exhausted hook (its worker died first) is given up as the hook would
 * have; a re-sent one gets a job id of its own (ids of finished jobs are not reused). Acts for no
 * user through the narrow unattended_executions and running_executions functions. Answers how
 * many were re-sent.
 */
export async function sweepExecutions(deps: WorkflowDeps, now = new Date(), batch = BATCH) {
  const before = new Date(now.getTime() - deps.env.EXECUTION_SWEEP_AFTER).toISOString();
  const after = runningAfter ?? { startedAt: '-infinity', id: '00000000-0000-0000-0000-000000000000' };
  const [unattended, running] = (await withoutActor(deps.db, async (tx) => [
    await tx.execute(
      sql`select id, workflow_id, wakeups, resume_at from workflow.unattended_executions(${before}, ${batch})`,
    ),
    await tx.execute(
      sql`select id, workflow_id, wakeups, started_at::text as started_at, job_id from workflow.running_executions(
        ${before}, ${after.startedAt}::timestamptz, ${after.id}::uuid, ${batch})`,
    ),
  ])) as unknown as [Unattended[], Running[]];
  const last = running.at(-1);
  runningAfter = running.length === batch && last ? { startedAt: last.started_at, id: last.id } : undefined;

  let resent = 0;
  const resend = async (row: { id: string; workflow_id: string; wakeups: number }, candidates: string[]) => {
    let live = false;
    let exhausted: { error: string; attempts: number } | undefined;
    for (const jobId of candidates) {
      const job = await deps.jobs.queue.getJob(jobId);
      const state = job ? await job.getState() : undefined;
      if (state && LIVE.has(state)) live = true;
      if (job && state === 'failed')
        exhausted = { error: job.failedReason ?? 'the job failed', attempts: job.attemptsMade };
    }
    if (live) return;
    const payload = { executionId: row.id, workflowId: row.workflow_id };
    if (exhausted) {
      await giveUpExecution(deps, payload, exhausted);
      return;
    }
    await deps.jobs.add('run-execution', payload, {
      jobId: `${executionJobId(row.id, row.wakeups)}-swept-${now.getTime()}`,
    });
    resent++;
  };
  for (const row of unattended)
    await resend(row, [
      executionJobId(row.id, row.wakeups),
      ...(row.resume_at ? [resumeJobId(row.id, row.wakeups, new Date(row.resume_at))] : []),
    ]);
  for (const row of running) await resend(row, [row.job_id]);
  return resent;
}
