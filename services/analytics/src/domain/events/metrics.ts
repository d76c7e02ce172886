/**
 * Every metric analytics counts. A metric is an amount an event adds (1 for most, tokens for
 * tokens); its counters are exact sums over the recorded events (see event-metrics.ts for which
 * event adds what).
 */
export const metricNames = [
  'messages',
  'bot_replies',
  'tokens_in',
  'tokens_out',
  'ai_credits',
  'tool_calls',
  'tool_errors',
  'clicks',
  'page_views',
  'custom_events',
  'sessions_started',
  'sign_ups',
  'sign_ins',
  'failed_sign_ins',
  'documents_indexed',
  'documents_failed',
  'kb_searches',
  'workflow_executions',
  'workflow_executions_succeeded',
  'workflow_executions_failed',
  'workflow_executions_canceled',
  'node_errors',
  'mail_received',
  'mail_sent',
  'mail_failed',
] as const;
export type MetricName = (typeof metricNames)[number];

/** What a counter may be split by: the subjects an event names. */
export const dimensions = ['bot', 'workflow', 'collection', 'account'] as const;
export type Dimension = (typeof dimensions)[number];

export const metricDescriptions: Record<MetricName, string> = {
  messages: 'Chat messages stored (users and bots)',
  bot_replies: 'Messages written by bots',
  tokens_in: 'LLM prompt tokens of bot replies',
  tokens_out: 'LLM completion tokens of bot replies',
  ai_credits: 'AI credits of bot replies (tokens in and out per AI_CREDIT_TOKENS, rounded up)',
  tool_calls: 'Bot tool invocations',
  tool_errors: 'Bot tool invocations that failed',
  clicks: 'Clicks on bot UI elements and client click events',
  page_views: 'Client page views',
  custom_events: 'Client custom events',
  sessions_started: 'Chat sessions started',
  sign_ups: 'Accounts registered',
  sign_ins: 'Successful sign-ins',
  failed_sign_ins: 'Refused sign-ins (identity.user.login_failed)',
  documents_indexed: 'Knowledge-base documents indexed',
  documents_failed: 'Knowledge-base documents that failed to index',
  kb_searches: 'Knowledge-base searches (knowledge.search.performed)',
  workflow_executions: 'Workflow executions finished, whatever their status',
  workflow_executions_succeeded: 'Workflow executions that succeeded',
  workflow_executions_failed: 'Workflow executions that failed',
  workflow_executions_canceled: 'Workflow executions canceled (workflow.execution.canceled)',
  node_errors: 'Workflow nodes that failed for good, stopping their execution',
  mail_received: 'Mail messages received (email.message.received)',
  mail_sent: 'Mail messages sent (email.message.sent)',
  mail_failed: 'Mail messages that could not be sent (email.message.failed)',
};
