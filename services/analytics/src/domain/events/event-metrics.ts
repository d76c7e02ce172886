import type { MetricName } from './metrics.js';

/** What one event counts for, and which of its text fields may be kept. */
export interface EventMeaning {
  metrics: Partial<Record<MetricName, number>>;
  /** Short text fields kept in the record (enums, names); every other string is dropped. */
  keepText?: readonly string[];
}

type Data = Record<string, unknown>;
type Reader = (data: Data, settings: MeaningSettings) => EventMeaning;

export interface MeaningSettings {
  /** Tokens per AI credit, as conversation charges them. */
  aiCreditTokens: number;
}

/** One of each named metric. */
const count =
  (metric: MetricName | MetricName[], keepText?: readonly string[]): Reader =>
  () => ({
    metrics: Object.fromEntries((Array.isArray(metric) ? metric : [metric]).map((name) => [name, 1])),
    keepText,
  });
const amount = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0;

/**
 * Which metrics each event subject adds to, as the contracts (@conduit/contracts) define the
 * events. Subjects no service publishes yet (canceled executions; mail until the email service
 * runs) are here under the names they will have, so that starting the producer is the only
 * change. An unknown subject is recorded and counts for nothing.
 */
const readers: Record<string, Reader> = {
  'identity.user.registered': count('sign_ups'),
  'identity.user.logged_in': count('sign_ins', ['method']),
  // Names the account (or nobody, for an address no account has); never the address typed.
  'identity.user.login_failed': count('failed_sign_ins', ['reason', 'method']),
  'conversation.session.started': count('sessions_started', ['channel']),
  'conversation.message.created': (data, settings) => {
    const tokensIn = amount(data.tokensIn);
    const tokensOut = amount(data.tokensOut);
    const fromBot = data.sender === 'bot';
    return {
      metrics: {
        messages: 1,
        bot_replies: fromBot ? 1 : 0,
        tokens_in: tokensIn,
        tokens_out: tokensOut,
        ai_credits: fromBot ? Math.ceil((tokensIn + tokensOut) / settings.aiCreditTokens) : 0,
      },
      keepText: ['sender', 'model'],
    };
  },
  'conversation.tool.invoked': (data) => ({
    metrics: { tool_calls: 1, tool_errors: data.ok === false ? 1 : 0 },
    keepText: ['toolName', 'caller'],
  }),
  'conversation.click.recorded': count('clicks', ['elementId']),
  'knowledge.document.indexed': count('documents_indexed'),
  'knowledge.document.failed': count('documents_failed'),
  // Which knowledge bases and how many hits; the question is never in the event.
  'knowledge.search.performed': count('kb_searches', ['scope']),
  'workflow.execution.succeeded': count(
    ['workflow_executions', 'workflow_executions_succeeded'],
    ['triggerType'],
  ),
  // The failing node's name is kept (it says where); the error message is free text and is not.
  'workflow.execution.failed': count(
    ['workflow_executions', 'workflow_executions_failed', 'node_errors'],
    ['triggerType', 'errorNode'],
  ),
  'workflow.execution.canceled': count(
    ['workflow_executions', 'workflow_executions_canceled'],
    ['triggerType'],
  ),
  // Addresses, subjects, folder paths and the server's error are text, so they are not kept.
  'email.message.received': count('mail_received'),
  'email.message.sent': count('mail_sent', ['source']),
  'email.message.failed': count('mail_failed', ['source']),
};

/** The metrics an event adds to (zeros left out) and the text it may keep. */
export function meaningOf(subject: string, data: Data, settings: MeaningSettings): EventMeaning {
  const meaning = readers[subject]?.(data, settings) ?? { metrics: {} };
  const metrics = Object.fromEntries(
    Object.entries(meaning.metrics).filter(([, value]) => (value ?? 0) > 0),
  ) as EventMeaning['metrics'];
  return { metrics, keepText: meaning.keepText };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * The part of an event's data analytics keeps: ids, numbers and booleans, and only the short text
 * fields its meaning names. Message text, mail bodies and addresses, names, secrets and error
 * messages are free text, so they never reach the record; nested objects neither.
 */
export function keptData(data: Data, keepText: readonly string[] = []): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === 'number' && Number.isFinite(value)) kept[key] = value;
    else if (typeof value === 'boolean') kept[key] = value;
    else if (isUuid(value)) kept[key] = value.toLowerCase();
    else if (typeof value === 'string' && keepText.includes(key) && value.length <= 200) kept[key] = value;
  }
  return kept;
}
