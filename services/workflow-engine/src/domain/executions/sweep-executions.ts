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
  status: 'queued' | 'waiting' | 'running';
  wakeups: number;
  resume_at: Date | string | null;
  /** For a running execution: the job that took it up last. */
  job_id: string | null;
}

/**
 * Hands to the queue again the executions that lost their job: saved but never enqueued (the
 * process died between commit and enqueue), enqueued before their row was visible, waiting past
 * their time with no delayed job left, or running with the job that took them up gone from the
 * queue or ended. An execution whose job is still in the queue is left alone; one whose job ran
 * out of attempts without the exhausted hook (its worker died first) is given up as the hook would
 * have; a re-sent one gets a job id of its own (ids of finished jobs are not reused). Acts for no
 * user through the narrow unattended_executions function. Answers how many were re-sent.
 */
export async function sweepExecutions(deps: WorkflowDeps, now = new Date()) {
  const before = new Date(now.getTime() - deps.env.EXECUTION_SWEEP_AFTER).toISOString();
  const rows = (await withoutActor(deps.db, (tx) =>
    tx.execute(
      sql`select id, workflow_id, status, wakeups, resume_at, job_id
          from workflow.unattended_executions(${before}, ${BATCH})`,
    ),
  )) as unknown as Unattended[];
  let resent = 0;
  for (const row of rows) {
    const candidates = row.job_id ? [row.job_id] : [executionJobId(row.id, row.wakeups)];
    if (row.resume_at) candidates.push(resumeJobId(row.id, row.wakeups, new Date(row.resume_at)));
    let live = false;
    let exhausted: { error: string; attempts: number } | undefined;
    for (const jobId of candidates) {
      const job = await deps.jobs.queue.getJob(jobId);
      const state = job ? await job.getState() : undefined;
      if (state && LIVE.has(state)) live = true;
      if (job && state === 'failed')
        exhausted = { error: job.failedReason ?? 'the job failed', attempts: job.attemptsMade };
    }
    if (live) continue;
    const payload = { executionId: row.id, workflowId: row.workflow_id };
    if (exhausted) {
      await giveUpExecution(deps, payload, exhausted);
      continue;
    }
    await deps.jobs.add('run-execution', payload, {
      jobId: `${executionJobId(row.id, row.wakeups)}-swept-${now.getTime()}`,
    });
    resent++;
  }
  return resent;
}
