import { failedJobsTable, outboxTable, processedEventsTable } from '@conduit/db';
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const workflow = pgSchema('workflow');

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const workflowStatuses = ['draft', 'active', 'paused', 'archived'] as const;
export const onErrorModes = ['stop', 'continue', 'error-output'] as const;
export const executionStatuses = ['queued', 'running', 'waiting', 'success', 'error', 'canceled'] as const;
export const nodeRunStatuses = ['running', 'waiting', 'success', 'error'] as const;
/**
 * `error`: started as a failed execution's error workflow; `retry`: a retry of an execution;
 * `subworkflow`: started by an execute-workflow or loop node of another execution.
 */
export const triggerTypes = [
  'manual',
  'webhook',
  'schedule',
  'event',
  'error',
  'retry',
  'subworkflow',
] as const;
export const sharePermissions = ['view', 'run', 'edit'] as const;

/**
 * A workflow: owned by a user, or by a team when `team_id` is set. Its graph lives in
 * workflow_nodes / workflow_connections (the current version) and, whole, in workflow_versions.
 */
export const workflows = workflow.table(
  'workflows',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    teamId: uuid('team_id'),
    name: text('name').notNull(),
    description: text('description'),
    status: text('status', { enum: workflowStatuses }).notNull().default('draft'),
    isPublic: boolean('is_public').notNull().default(false),
    aiPrompt: text('ai_prompt'),
    executionCount: integer('execution_count').notNull().default(0),
    /** timezone, concurrencyLimit, errorWorkflowId. */
    settings: jsonb('settings').notNull().default({}),
    /** The latest saved version (workflow_versions.version). */
    version: integer('version').notNull().default(1),
    /** When it last became active: event triggers start it for events from then on. */
    activatedAt: timestamp('activated_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [index('workflows_user_idx').on(t.userId, t.id), index('workflows_team_idx').on(t.teamId)],
);

/** Every save of a workflow, whole, as its document; an execution pins the one it ran. */
export const workflowVersions = workflow.table(
  'workflow_versions',
  {
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    document: jsonb('document').notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.version] })],
);

export const workflowNodes = workflow.table(
  'workflow_nodes',
  {
    /** Unique within its workflow (ids survive saves and exports, so two copies share them). */
    id: uuid('id').notNull(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    nodeType: text('node_type').notNull(),
    name: text('name').notNull(),
    positionX: integer('position_x').notNull().default(0),
    positionY: integer('position_y').notNull().default(0),
    config: jsonb('config').notNull().default({}),
    isEnabled: boolean('is_enabled').notNull().default(true),
    maxTries: integer('max_tries').notNull().default(1),
    waitBetweenTriesMs: integer('wait_between_tries_ms').notNull().default(1000),
    onError: text('on_error', { enum: onErrorModes }).notNull().default('stop'),
    timeoutMs: integer('timeout_ms'),
  },
  (t) => [
    primaryKey({ columns: [t.workflowId, t.id] }),
    unique('workflow_nodes_name_unique').on(t.workflowId, t.name),
  ],
);

/** `connection_type` is the source's output port (`main`, `true`, `false`, `case:<n>`, `error`). */
export const workflowConnections = workflow.table(
  'workflow_connections',
  {
    id: uuid('id').primaryKey(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    sourceNodeId: uuid('source_node_id').notNull(),
    targetNodeId: uuid('target_node_id').notNull(),
    connectionType: text('connection_type').notNull().default('main'),
    /** Which input of the target (a merge node has several). */
    targetInput: integer('target_input').notNull().default(0),
    conditionConfig: jsonb('condition_config'),
  },
  (t) => [
    foreignKey({
      name: 'workflow_connections_source_fk',
      columns: [t.workflowId, t.sourceNodeId],
      foreignColumns: [workflowNodes.workflowId, workflowNodes.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'workflow_connections_target_fk',
      columns: [t.workflowId, t.targetNodeId],
      foreignColumns: [workflowNodes.workflowId, workflowNodes.id],
    }).onDelete('cascade'),
    unique('workflow_connections_unique').on(
      t.workflowId,
      t.sourceNodeId,
      t.connectionType,
      t.targetNodeId,
      t.targetInput,
    ),
    index('workflow_connections_workflow_idx').on(t.workflowId),
  ],
);

export const workflowExecutions = workflow.table(
  'workflow_executions',
  {
    id: uuid('id').primaryKey(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    workflowVersion: integer('workflow_version').notNull(),
    /** Who started it; null for schedules and webhooks. */
    userId: uuid('user_id'),
    status: text('status', { enum: executionStatuses }).notNull().default('queued'),
    triggerType: text('trigger_type', { enum: triggerTypes }).notNull(),
    triggerNodeId: uuid('trigger_node_id').notNull(),
    inputData: jsonb('input_data').notNull().default([]),
    outputData: jsonb('output_data'),
    /** What a respond-to-webhook node answered: {status, headers, body}. */
    responseData: jsonb('response_data'),
    errorMessage: text('error_message'),
    errorNode: text('error_node'),
    execTimeMs: integer('exec_time_ms'),
    /** The execution (and its node) that started this one as a sub-workflow and waits for it. */
    parentExecutionId: uuid('parent_execution_id'),
    parentWorkflowId: uuid('parent_workflow_id'),
    parentNodeId: uuid('parent_node_id'),
    /** How many sub-workflows deep this execution is (0 for one started otherwise). */
    depth: integer('depth').notNull().default(0),
    /** Proves a resume call of this execution's webhook waits (`$execution.resumeUrl`). */
    resumeToken: text('resume_token'),
    /** The execution this one retries (its earlier results reused when retried from the failed node). */
    retryOf: uuid('retry_of'),
    /** Bumped on each hand-over to the queue (a wait resumed), so each has a job id of its own. */
    wakeups: integer('wakeups').notNull().default(0),
    /** The job that took the execution up last: the sweep asks the queue whether it is still at work. */
    jobId: text('job_id'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('workflow_executions_workflow_idx').on(t.workflowId, t.createdAt, t.id),
    index('workflow_executions_created_idx').on(t.createdAt, t.id),
    index('workflow_executions_finished_idx').on(t.finishedAt),
  ],
);

/**
 * One node's run in an execution: a row before it is a result. `success` is final (the executor
 * never runs such a node again); `running` left by a dead worker is tried again.
 */
export const nodeExecutions = workflow.table(
  'node_executions',
  {
    id: uuid('id').primaryKey(),
    executionId: uuid('execution_id')
      .notNull()
      .references(() => workflowExecutions.id, { onDelete: 'cascade' }),
    nodeId: uuid('node_id').notNull(),
    nodeName: text('node_name').notNull(),
    nodeType: text('node_type').notNull(),
    /** Order of first start within the execution. */
    sequence: integer('sequence').notNull(),
    status: text('status', { enum: nodeRunStatuses }).notNull(),
    attempt: integer('attempt').notNull().default(1),
    inputData: jsonb('input_data'),
    /** Items per output port: {"main": [...]} or {"true": [...], "false": [...]}. */
    outputData: jsonb('output_data'),
    errorMessage: text('error_message'),
    execTimeMs: integer('exec_time_ms'),
    /** A waiting node continues at this time. */
    resumeAt: timestamp('resume_at', { withTimezone: true }),
    /** What the resume call of a webhook wait brought ({ body, query }). */
    resumeData: jsonb('resume_data'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    unique('node_executions_node_unique').on(t.executionId, t.nodeId),
    check('node_executions_attempt_positive', sql`${t.attempt} >= 1`),
  ],
);

/**
 * A workflow to start from: `template_data` is a workflow document. Official templates (no owner)
 * ship with the service and are read by anyone signed in; others belong to a user or a team.
 */
export const workflowTemplates = workflow.table(
  'workflow_templates',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id'),
    teamId: uuid('team_id'),
    name: text('name').notNull(),
    description: text('description'),
    category: text('category').notNull(),
    templateData: jsonb('template_data').notNull(),
    isOfficial: boolean('is_official').notNull().default(false),
    /** Workflows created from it. */
    usageCount: integer('usage_count').notNull().default(0),
    ...timestamps,
  },
  (t) => [
    index('workflow_templates_category_idx').on(t.category, t.id),
    index('workflow_templates_user_idx').on(t.userId),
    check('workflow_templates_official_unowned', sql`${t.isOfficial} = (${t.userId} is null)`),
  ],
);

/**
 * A workflow shared with a user or a whole team, to view, run or edit it. An expired share gives
 * nothing; a team viewer gets no more than view through a team share.
 */
export const workflowShares = workflow.table(
  'workflow_shares',
  {
    id: uuid('id').primaryKey(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    sharedBy: uuid('shared_by').notNull(),
    sharedWithUserId: uuid('shared_with_user_id'),
    sharedWithTeamId: uuid('shared_with_team_id'),
    permission: text('permission', { enum: sharePermissions }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check(
      'workflow_shares_one_grantee',
      sql`(${t.sharedWithUserId} is null) <> (${t.sharedWithTeamId} is null)`,
    ),
    uniqueIndex('workflow_shares_user_unique').on(t.workflowId, t.sharedWithUserId),
    uniqueIndex('workflow_shares_team_unique').on(t.workflowId, t.sharedWithTeamId),
    index('workflow_shares_user_idx').on(t.sharedWithUserId),
    index('workflow_shares_team_idx').on(t.sharedWithTeamId),
  ],
);

export const credentialKinds = ['bearer', 'basic', 'header', 'secret'] as const;

/**
 * A secret a workflow uses by reference (an HTTP node's authorization, a webhook's token or HMAC
 * key): sealed with the service's keyring, bound to its row id, never answered by the API nor put
 * in jobs, node data or logs. Owned like a workflow: a user, or a team.
 */
export const workflowCredentials = workflow.table(
  'workflow_credentials',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    teamId: uuid('team_id'),
    name: text('name').notNull(),
    kind: text('kind', { enum: credentialKinds }).notNull(),
    /** The secret fields as JSON, sealed (SecretBox, context = the row id). */
    sealed: text('sealed').notNull(),
    ...timestamps,
  },
  (t) => [
    index('workflow_credentials_user_idx').on(t.userId),
    index('workflow_credentials_team_idx').on(t.teamId),
  ],
);

/**
 * Item data too large to keep in its execution's or node run's row (over ITEM_DATA_INLINE_MAX as
 * JSON): the row holds `{ "$conduitData": <id>, "bytes": n }` in its place.
 */
export const executionData = workflow.table(
  'execution_data',
  {
    id: uuid('id').primaryKey(),
    executionId: uuid('execution_id')
      .notNull()
      .references(() => workflowExecutions.id, { onDelete: 'cascade' }),
    data: jsonb('data').notNull(),
    bytes: integer('bytes').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('execution_data_execution_idx').on(t.executionId)],
);

/**
 * The integrations catalog: what a connection may be an instance of (HTTP with a bearer token,
 * SMTP, ...). `kind` is how the engine uses it; `config_schema` is the JSON Schema its connections'
 * config must match, whose `writeOnly` properties are secrets. Read by anyone signed in, kept by
 * platform admins; a retired entry (`is_active` false) takes no new connections.
 */
export const integrations = workflow.table(
  'integrations',
  {
    id: uuid('id').primaryKey(),
    /** Stable name of the entry (`http-bearer`): seeds and clients refer to it. */
    key: text('key').notNull().unique(),
    name: text('name').notNull(),
    category: text('category').notNull(),
    description: text('description').notNull().default(''),
    kind: text('kind').notNull(),
    configSchema: jsonb('config_schema').notNull(),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps,
  },
  (t) => [index('integrations_category_idx').on(t.category, t.name)],
);

/**
 * A user's (or a team's) configured instance of an integration: a connection. `config` holds the
 * fields that are not secret; the secret ones are sealed together in `sealed` (SecretBox, context
 * = the row id). A user's connection may be shared with teams they are in
 * (`shared_team_ids`), whose workflows may then use it without reading it.
 */
export const userIntegrations = workflow.table(
  'user_integrations',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    teamId: uuid('team_id'),
    integrationId: uuid('integration_id')
      .notNull()
      .references(() => integrations.id),
    name: text('name').notNull(),
    config: jsonb('config').notNull().default({}),
    sealed: text('sealed'),
    /** Which secret fields are set (their names, never their values), for the masked answer. */
    secretFields: text('secret_fields').array().notNull().default(sql`'{}'::text[]`),
    sharedTeamIds: uuid('shared_team_ids').array().notNull().default(sql`'{}'::uuid[]`),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    index('user_integrations_user_idx').on(t.userId, t.id),
    index('user_integrations_team_idx').on(t.teamId),
  ],
);

export const automationSources = ['script', 'api'] as const;
export const automationRunStatuses = ['running', 'success', 'error', 'skipped'] as const;

/**
 * A bot's BASIC script on a schedule (seed 001 `system_automations`). `source` = `script`: kept in
 * step with the SET SCHEDULE of the bot's dialog script (conversation.bot.saved), at most one per
 * bot; `api`: made through the API. The bot's owner and team are conversation's, copied here from
 * its events (and checked again through rpc.conversation.bots.owner on every call).
 */
export const systemAutomations = workflow.table(
  'system_automations',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id').notNull(),
    organizationId: uuid('organization_id'),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    name: text('name').notNull(),
    /** As written: a cron or the plain English SET SCHEDULE accepts. */
    schedule: text('schedule').notNull(),
    /** What `schedule` compiles to (five fields, or six with seconds). */
    cron: text('cron').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    script: text('script').notNull(),
    source: text('source', { enum: automationSources }).notNull(),
    active: boolean('active').notNull().default(true),
    /** The bot's updated_at of the save this follows: an older save redelivered changes nothing. */
    botUpdatedAt: timestamp('bot_updated_at', { withTimezone: true }),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    nextRunAt: timestamp('next_run_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('system_automations_bot_idx').on(t.botId, t.id),
    uniqueIndex('system_automations_script_unique').on(t.botId).where(sql`${t.source} = 'script'`),
  ],
);

/**
 * One run of an automation: its status, the TALK / PRINT lines it wrote, its error and time. A
 * tick is one row however often its job is tried (`job_id`); at most one run of an automation is
 * `running` at once, and a tick that finds one running is recorded as `skipped`.
 */
export const automationRuns = workflow.table(
  'automation_runs',
  {
    id: uuid('id').primaryKey(),
    automationId: uuid('automation_id')
      .notNull()
      .references(() => systemAutomations.id, { onDelete: 'cascade' }),
    botId: uuid('bot_id').notNull(),
    jobId: text('job_id'),
    trigger: text('trigger', { enum: ['schedule', 'manual'] }).notNull(),
    status: text('status', { enum: automationRunStatuses }).notNull(),
    output: jsonb('output').notNull().default([]),
    error: text('error'),
    attempt: integer('attempt').notNull().default(1),
    tickAt: timestamp('tick_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    execTimeMs: integer('exec_time_ms'),
  },
  (t) => [
    index('automation_runs_automation_idx').on(t.automationId, t.startedAt, t.id),
    uniqueIndex('automation_runs_job_unique').on(t.automationId, t.jobId),
    uniqueIndex('automation_runs_one_running').on(t.automationId).where(sql`${t.status} = 'running'`),
  ],
);

export const outbox = outboxTable(workflow);
export const processedEvents = processedEventsTable(workflow);
export const failedJobs = failedJobsTable(workflow);
