import { fileURLToPath } from 'node:url';
import { createOutboundHttp } from '@conduit/outbound-http';
import { defineService } from '@conduit/runtime';
import { parseKeyring, SecretBox } from '@conduit/secrets';
import { buildApp } from './app.js';
import { eventTriggers } from './bus/event-triggers.js';
import type { WorkflowDeps } from './deps.js';
import { botDeletedConsumer, botSavedConsumer } from './domain/automations/bot-events.js';
import { runAutomation } from './domain/automations/run-automation.js';
import { giveUpExecution } from './domain/executions/give-up-execution.js';
import { pruneExecutions } from './domain/executions/prune-executions.js';
import { sweepExecutions } from './domain/executions/sweep-executions.js';
import { loadEnv, type WorkflowEnv } from './env.js';
import { runExecutionPayload, type WorkflowJobs, workflowJobs } from './jobs/catalog.js';
import { fireScheduleJob } from './jobs/processors/fire-schedule-job.js';
import { runExecutionJob } from './jobs/processors/run-execution-job.js';

export const SCHEMA = 'workflow';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * Workflow engine: workflows as graphs of nodes over HTTP, webhooks, and a worker that runs
 * executions node by node (each node's result committed before the next starts), fires schedules
 * and starts workflows from Conduit's events.
 */
export const workflowService = defineService<WorkflowEnv, WorkflowDeps, WorkflowJobs>({
  name: 'workflow-engine',
  loadEnv,
  database: {
    schema: SCHEMA,
    migrationsDir,
    // Each execution at work holds a connection for each of its transactions: a worker pool smaller
    // than EXECUTION_CONCURRENCY (the runtime's 4 against 8) made executions queue for one. Two
    // more for the sweep, schedules and the outbox relay.
    poolSize: (env, role) => (role === 'worker' ? env.EXECUTION_CONCURRENCY + 2 : 10),
  },
  listen: (env) => ({ port: env.WORKFLOW_ENGINE_PORT, host: env.WORKFLOW_ENGINE_HOST }),
  jobs: (env) =>
    workflowJobs(
      { attempts: env.EXECUTION_ATTEMPTS, backoffMs: env.EXECUTION_BACKOFF },
      env.AUTOMATION_ATTEMPTS,
    ),
  deps: ({ env, log, database, bus, jobs }) => ({
    env,
    db: database.db,
    log,
    bus,
    jobs,
    box: new SecretBox(parseKeyring(env.ENCRYPTION_KEYS)),
    http: createOutboundHttp({
      allow: env.HTTP_NODE_ALLOW,
      timeoutMs: env.HTTP_NODE_TIMEOUT,
      maxBytes: env.HTTP_NODE_MAX_BYTES,
    }),
  }),
  app: buildApp,
  background: [eventTriggers],
  // Bot automations follow their bots' scripts (conversation.bot.saved / deleted).
  consumers: [botSavedConsumer, botDeletedConsumer],
  worker: {
    handlers: (deps) => ({
      'run-execution': (payload, job) => runExecutionJob(deps, payload, job),
      'fire-schedule': (payload, job) => fireScheduleJob(deps, payload, job),
      'run-automation': (payload, job) => runAutomation(deps, payload, job),
      'prune-executions': () => pruneExecutions(deps),
      'sweep-executions': () => sweepExecutions(deps),
    }),
    schedule: async (jobs, env) => {
      await jobs.schedule('prune-executions', 'prune-executions', {}, { pattern: env.EXECUTION_PRUNE_CRON });
      await jobs.schedule('sweep-executions', 'sweep-executions', {}, { everyMs: env.EXECUTION_SWEEP_EVERY });
    },
    exhausted: async (deps, job) => {
      const payload = runExecutionPayload.safeParse(job.payload);
      if (job.name === 'run-execution' && payload.success)
        await giveUpExecution(deps, payload.data, { error: job.error, attempts: job.attempts });
    },
    settings: (env) => ({
      concurrency: env.EXECUTION_CONCURRENCY,
      lockDurationMs: env.JOB_LOCK_DURATION,
      stalledIntervalMs: env.JOB_STALLED_INTERVAL,
      maxStalledCount: env.JOB_MAX_STALLED,
    }),
  },
});
