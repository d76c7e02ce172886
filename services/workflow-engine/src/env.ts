import {
  encryptionKeysEnv,
  envDuration,
  envList,
  envPort,
  loadServiceEnv,
  serviceEnv,
} from '@conduit/config';
import { sandboxSettingsSchema } from '@conduit/sandbox';
import { z } from 'zod';

const schema = serviceEnv.extend({
  /** Seals workflow credentials at rest. */
  ...encryptionKeysEnv,
  WORKFLOW_ENGINE_PORT: envPort(4004),
  WORKFLOW_ENGINE_HOST: z.string().default('0.0.0.0'),
  /** Executions one worker process runs at once. */
  EXECUTION_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /**
   * Attempts of an execution job: each attempt resumes where the last committed node left off,
   * so this bounds crashes survived, not node retries (those are per node).
   */
  EXECUTION_ATTEMPTS: z.coerce.number().int().min(1).default(10),
  EXECUTION_BACKOFF: envDuration('1s'),
  /** A job whose worker died is taken over once its lock runs out. */
  JOB_LOCK_DURATION: envDuration('30s'),
  JOB_STALLED_INTERVAL: envDuration('30s'),
  /**
   * Take-overs of one execution job from dead workers before the execution is given up (fails).
   * Each resumes at the first unfinished node, so this only bounds crash loops.
   */
  JOB_MAX_STALLED: z.coerce.number().int().min(1).max(1000).default(10),
  /** Hosts / CIDR ranges the http-request node may reach although private or loopback. */
  HTTP_NODE_ALLOW: envList(''),
  HTTP_NODE_TIMEOUT: envDuration('30s'),
  HTTP_NODE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024),
  /** Item data larger than this (bytes of JSON) is kept apart from its execution's rows. */
  ITEM_DATA_INLINE_MAX: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /** Budget of one `{{ expression }}`: wall time and nesting of evaluation. */
  EXPRESSION_TIMEOUT: envDuration('250ms'),
  /** Identity's usage RPC gives up after this. */
  RPC_TIMEOUT: envDuration('5s'),
  /** An llm node's completion (conversation's rpc) gives up after this. */
  LLM_NODE_TIMEOUT: envDuration('90s'),
  /** Services whose job queues GET /v1/admin/jobs shows (each answers rpc.<service>.jobs.admin). */
  JOBS_ADMIN_SERVICES: envList(
    'identity,conversation,knowledge-base,workflow-engine,email-sync,analytics,workspace',
  ),
  /** A bot automation's run: its BASIC step budget and wall time (a run past it fails). */
  AUTOMATION_MAX_STEPS: z.coerce.number().int().min(1000).max(100_000_000).default(1_000_000),
  AUTOMATION_TIMEOUT: envDuration('60s'),
  /** RUN JAVASCRIPT / PYTHON / BASH in automations: the sandbox's limits and runner (off unless enabled). */
  ...sandboxSettingsSchema.shape,
  /** Attempts of a run whose script failed on a service that did not answer (GET BOT MEMORY, FIND, LLM...). */
  AUTOMATION_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** Executions queued (or waiting past their time) this long without a job in the queue are re-sent. */
  EXECUTION_SWEEP_AFTER: envDuration('60s'),
  EXECUTION_SWEEP_EVERY: envDuration('30s'),
  /** Finished executions are deleted this many days after they finished (a job, EXECUTION_PRUNE_CRON). */
  EXECUTION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  EXECUTION_PRUNE_CRON: z.string().default('17 * * * *'),
  /** Where callers reach this engine's webhooks, prefixed to `$execution.resumeUrl` (e.g. the gateway's). */
  PUBLIC_HOOKS_URL: z.string().max(500).default(''),
  /** How long a webhook call waits for a respond-to-webhook node before answering 202. */
  WEBHOOK_RESPONSE_TIMEOUT: envDuration('30s'),
});

export type WorkflowEnv = ReturnType<typeof loadEnv>;

export const loadEnv = (source: NodeJS.ProcessEnv = process.env) =>
  loadServiceEnv(schema, 'workflow', source);
