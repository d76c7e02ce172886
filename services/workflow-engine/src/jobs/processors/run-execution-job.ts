import type { Job } from 'bullmq';
import type { WorkflowDeps } from '../../deps.js';
import { runExecution } from '../../domain/executions/run-execution.js';

/**
 * Runs (or resumes) one execution. A crash or a lost lock makes BullMQ hand the job to another
 * worker, which resumes at the first unfinished node.
 */
export function runExecutionJob(
  deps: WorkflowDeps,
  payload: { executionId: string; workflowId: string },
  job: Job,
) {
  return runExecution(deps, payload, job.id);
}
