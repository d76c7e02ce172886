import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/**
 * Workflow-engine's queue. Jobs carry ids only; the worker reads everything else from Postgres,
 * where each node's result is committed before the next node starts, so any attempt of a job
 * resumes the execution where the last one stopped.
 */
export const runExecutionPayload = z.object({ executionId: z.uuid(), workflowId: z.uuid() });

/**
 * One run of a bot automation: a tick of its job scheduler, or a run asked for now (`runId`, its
 * row made by the API). The bot's owner and team travel as ids, so the worker reads the
 * automation as them (row-level security); never the script or any secret.
 */
export const runAutomationPayload = z.object({
  automationId: z.uuid(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  runId: z.uuid().optional(),
  /** Its `executions` was reserved when it was asked for (a run now). */
  reserved: z.boolean().optional(),
});

export const workflowJobs = (retry: { attempts: number; backoffMs: number }, automationAttempts = 3) =>
  defineJobs('workflow', {
    /** Runs (or resumes) one execution up to its end or its next wait. */
    'run-execution': {
      payload: runExecutionPayload,
      ...retry,
    },
    /** One tick of a schedule trigger: starts an execution of the workflow. */
    'fire-schedule': {
      payload: z.object({ workflowId: z.uuid(), nodeId: z.uuid() }),
      attempts: 3,
      backoffMs: retry.backoffMs,
    },
    /** A bot automation's run (see runAutomation); retried only when a service did not answer. */
    'run-automation': {
      payload: runAutomationPayload,
      attempts: automationAttempts,
      backoffMs: retry.backoffMs,
    },
    /** Re-sends executions that lost their job (see sweepExecutions), every EXECUTION_SWEEP_EVERY. */
    'sweep-executions': {
      payload: z.object({}),
      attempts: 1,
      backoffMs: retry.backoffMs,
    },
    /** Deletes executions past their retention (EXECUTION_RETENTION_DAYS), on EXECUTION_PRUNE_CRON. */
    'prune-executions': {
      payload: z.object({}),
      attempts: 3,
      backoffMs: retry.backoffMs,
    },
  });

export type WorkflowJobs = ReturnType<typeof workflowJobs>;

/**
 * Each hand-over of an execution to the queue has its own id: the execution's wakeup count goes up
 * with each wait and each hold, so a job id is enqueued once and known to the sweep.
 */
export const executionJobId = (executionId: string, wakeup: number) => `run-${executionId}-${wakeup}`;

/** The delayed job that continues a wait at `at`. */
export const resumeJobId = (executionId: string, wakeup: number, at: Date) =>
  `${executionJobId(executionId, wakeup)}-at-${at.getTime()}`;

/** The job scheduler of an automation (one per automation, whatever its schedule). */
export const automationSchedulerId = (automationId: string) => `automation-${automationId}`;
