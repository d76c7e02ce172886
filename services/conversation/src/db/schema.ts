import { failedJobsTable, outboxTable, processedEventsTable, timestamps } from '@conduit/db';
import { sql } from 'drizzle-orm';
import {
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const conversation = pgSchema('conversation');

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const botVisibilities = ['private', 'team', 'organization'] as const;
export type BotVisibility = (typeof botVisibilities)[number];

/**
 * A bot belongs to its creator, or to a team when `team_id` is set (then team roles decide, not
 * the creator). `organization` visibility lets every member of its organization read and talk to it.
 */
export const bots = conversation.table(
  'bots',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id'),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    visibility: text('visibility', { enum: botVisibilities }).notNull().default('private'),
    /** The dialog script (BASIC), compiled on save; null when the bot only answers with its LLM. */
    script: text('script'),
    ...timestamps,
  },
  (t) => [
    index('bots_owner_idx').on(t.ownerUserId),
    index('bots_team_idx').on(t.teamId),
    index('bots_org_idx').on(t.orgId),
  ],
);

/** The key / value settings General Bots users know as config.csv. */
export const botConfiguration = conversation.table(
  'bot_configuration',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('bot_configuration_bot_key').on(t.botId, t.key)],
);

/** SET / GET BOT MEMORY: values shared by every user of a bot. */
export const botMemories = conversation.table(
  'bot_memories',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: jsonb('value').notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('bot_memories_bot_key').on(t.botId, t.key)],
);

/** SET / GET USER MEMORY: a user's values, shared across every bot they talk to. */
export const userMemories = conversation.table(
  'user_memories',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    key: text('key').notNull(),
    value: jsonb('value').notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('user_memories_user_key').on(t.userId, t.key)],
);

export interface SessionContext {
  /** A dialog suspended at HEAR (or a long WAIT): the interpreter state, as plain JSON. */
  dialog?: {
    state: unknown;
    reason: 'hear' | 'wait';
    resumeAt?: string | null;
    /** What the HEAR waits for. */
    prompt?: { variable: string; type: string; options: string[] | null } | null;
  } | null;
  /** USE KB: the knowledge bases this session answers from. */
  kbs?: { name: string; collectionId: string }[];
  /** SET CONTEXT: extra text given to the LLM as system context. */
  llmContext?: string | null;
  /** Counts stored turns: a turn is stored only over the context it started from. */
  turn?: number;
}

export const sessions = conversation.table(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    orgId: uuid('org_id'),
    channel: text('channel').notNull().default('api'),
    title: text('title'),
    context: jsonb('context').$type<SessionContext>().notNull().default({}),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId, t.lastActivityAt), index('sessions_bot_idx').on(t.botId)],
);

export const senders = ['user', 'bot', 'system', 'tool'] as const;
export type Sender = (typeof senders)[number];

export const messageHistory = conversation.table(
  'message_history',
  {
    id: uuid('id').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    botId: uuid('bot_id').notNull(),
    sender: text('sender', { enum: senders }).notNull(),
    content: text('content').notNull(),
    tokensIn: integer('tokens_in').notNull().default(0),
    tokensOut: integer('tokens_out').notNull().default(0),
    model: text('model'),
    latencyMs: integer('latency_ms'),
    /** Citations of a grounded answer, a tool call's name and arguments, an error code. */
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    searchVector: tsvector('search_vector').generatedAlwaysAs(sql`to_tsvector('simple', content)`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('message_history_session_idx').on(t.sessionId, t.createdAt, t.id),
    index('message_history_user_idx').on(t.userId),
    index('message_history_search_idx').using('gin', t.searchVector),
  ],
);

export const clicks = conversation.table(
  'clicks',
  {
    id: uuid('id').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    elementId: text('element_id').notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    timestamp: timestamp('timestamp', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('clicks_session_idx').on(t.sessionId, t.timestamp)],
);

/** A BASIC script the LLM can call as a function; `parameters` is the JSON Schema of its PARAMs. */
export const basicTools = conversation.table(
  'basic_tools',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    parameters: jsonb('parameters').$type<Record<string, unknown>>().notNull(),
    script: text('script').notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
  },
  (t) => [uniqueIndex('basic_tools_bot_name').on(t.botId, t.name)],
);

export const sessionToolAssociations = conversation.table(
  'session_tool_associations',
  {
    id: uuid('id').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    toolId: uuid('tool_id')
      .notNull()
      .references(() => basicTools.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('session_tool_associations_key').on(t.sessionId, t.toolId)],
);

/** An OpenAI-compatible endpoint of an organization (or of one user, without organization). */
export const providers = conversation.table(
  'providers',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id'),
    ownerUserId: uuid('owner_user_id').notNull(),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['openai-compatible'] })
      .notNull()
      .default('openai-compatible'),
    baseUrl: text('base_url').notNull(),
    /** AES-256-GCM (SecretBox), bound to the row id; never returned, logged or put in events. */
    apiKeySealed: text('api_key_sealed'),
    keyVersion: integer('key_version'),
    ...timestamps,
  },
  (t) => [index('providers_org_idx').on(t.orgId)],
);

/** The model catalog: built-in rows (`org_id` null) are readable by everyone. */
export const aiModels = conversation.table(
  'ai_models',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id'),
    providerId: uuid('provider_id').references(() => providers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type', { enum: ['chat', 'embedding'] })
      .notNull()
      .default('chat'),
    configSchema: jsonb('config_schema').$type<Record<string, unknown>>().notNull().default({}),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
    active: boolean('active').notNull().default(true),
    ...timestamps,
  },
  (t) => [index('ai_models_org_idx').on(t.orgId)],
);

/** Reusable system prompts with `{{variables}}`. */
export const prompts = conversation.table(
  'prompts',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id'),
    ownerUserId: uuid('owner_user_id').notNull(),
    name: text('name').notNull(),
    content: text('content').notNull(),
    variables: jsonb('variables').$type<string[]>().notNull().default([]),
    ...timestamps,
  },
  (t) => [index('prompts_org_idx').on(t.orgId)],
);

/** Per-user choices: the chat model they prefer. */
export const userPreferences = conversation.table('user_preferences', {
  userId: uuid('user_id').primaryKey(),
  modelId: uuid('model_id').references(() => aiModels.id, { onDelete: 'set null' }),
  ...timestamps,
});

export const appStatuses = ['draft', 'published', 'disabled'] as const;
export type AppStatus = (typeof appStatuses)[number];
export const launcherPositions = ['bottom-right', 'bottom-left'] as const;

/**
 * An app publishes a bot to websites: owned like a bot (its creator, or a team), reached by
 * visitors through its public key, which the host page names in the widget's script tag.
 */
export const apps = conversation.table(
  'apps',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id'),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    status: text('status', { enum: appStatuses }).notNull().default('draft'),
    publicKey: text('public_key').notNull().unique(),
    ...timestamps,
  },
  (t) => [
    index('apps_owner_idx').on(t.ownerUserId),
    index('apps_team_idx').on(t.teamId),
    index('apps_bot_idx').on(t.botId),
  ],
);

/** How the widget looks; logo and avatar are media ids of the workspace service. */
export const appAppearances = conversation.table('app_appearances', {
  appId: uuid('app_id')
    .primaryKey()
    .references(() => apps.id, { onDelete: 'cascade' }),
  primaryColor: text('primary_color').notNull().default('#2563eb'),
  backgroundColor: text('background_color').notNull().default('#ffffff'),
  textColor: text('text_color').notNull().default('#111827'),
  logoMediaId: uuid('logo_media_id'),
  avatarMediaId: uuid('avatar_media_id'),
  launcherPosition: text('launcher_position', { enum: launcherPositions }).notNull().default('bottom-right'),
  welcomeText: text('welcome_text').notNull().default(''),
  suggestedQuestions: jsonb('suggested_questions').$type<string[]>().notNull().default([]),
  ...timestamps,
});

/** What turns through the app use in place of the bot's own prompt and model settings. */
export const appPromptEngineeringSettings = conversation.table('app_prompt_engineering_settings', {
  appId: uuid('app_id')
    .primaryKey()
    .references(() => apps.id, { onDelete: 'cascade' }),
  systemPrompt: text('system_prompt'),
  model: text('model'),
  temperature: real('temperature'),
  maxTokens: integer('max_tokens'),
  ...timestamps,
});

export const appSettings = conversation.table(
  'app_settings',
  {
    id: uuid('id').primaryKey(),
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('app_settings_app_key').on(t.appId, t.key)],
);

/** A page origin (and optionally a path prefix) where the app may be embedded. */
export const appRestrictedUrls = conversation.table(
  'app_restricted_urls',
  {
    id: uuid('id').primaryKey(),
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    origin: text('origin').notNull(),
    pathPrefix: text('path_prefix'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('app_restricted_urls_app_idx').on(t.appId, t.createdAt, t.id)],
);

export const domainStatuses = ['pending', 'verified', 'failed'] as const;

/** A custom domain of an app, proven by serving its token at /.well-known/conduit-domain-verification. */
export const domains = conversation.table(
  'domains',
  {
    id: uuid('id').primaryKey(),
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    domain: text('domain').notNull(),
    verificationToken: text('verification_token').notNull(),
    status: text('status', { enum: domainStatuses }).notNull().default('pending'),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    lastCheckedAt: timestamp('last_checked_at', { withTimezone: true }),
    lastError: text('last_error'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('domains_app_domain').on(t.appId, t.domain),
    index('domains_app_idx').on(t.appId, t.createdAt, t.id),
  ],
);

/** An anonymous visitor of an app: its id is the user id of the visitor's sessions and messages. */
export const appVisitors = conversation.table(
  'app_visitors',
  {
    id: uuid('id').primaryKey(),
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('app_visitors_app_idx').on(t.appId)],
);

export const outbox = outboxTable(conversation);
export const processedEvents = processedEventsTable(conversation);
export const failedJobs = failedJobsTable(conversation);
