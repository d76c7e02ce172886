import { z } from 'zod';
import { defineEvent } from '../event.js';
import { botMailAttachments } from '../workspace/bot-mail-attachments.js';

/** A user started a chat session with a bot. */
export const sessionStarted = defineEvent(
  'conversation.session.started',
  1,
  z.object({ sessionId: z.uuid(), botId: z.uuid(), userId: z.uuid(), channel: z.string() }),
);

/** A chat session was ended (by its user, or deleted). */
export const sessionEnded = defineEvent(
  'conversation.session.ended',
  1,
  z.object({
    sessionId: z.uuid(),
    botId: z.uuid(),
    userId: z.uuid(),
    reason: z.enum(['ended', 'deleted']),
  }),
);

/** A message was stored in a session; bot messages carry what generating them used. */
export const messageCreated = defineEvent(
  'conversation.message.created',
  1,
  z.object({
    messageId: z.uuid(),
    sessionId: z.uuid(),
    botId: z.uuid(),
    userId: z.uuid(),
    sender: z.enum(['user', 'bot', 'system', 'tool']),
    tokensIn: z.int().min(0),
    tokensOut: z.int().min(0),
    model: z.string().nullable(),
    latencyMs: z.int().min(0).nullable(),
  }),
);

/** A bot tool ran, called by the LLM or directly by the user. Arguments are not carried. */
export const toolInvoked = defineEvent(
  'conversation.tool.invoked',
  1,
  z.object({
    sessionId: z.uuid(),
    botId: z.uuid(),
    toolName: z.string(),
    caller: z.enum(['llm', 'user']),
    ok: z.boolean(),
    durationMs: z.int().min(0),
  }),
);

/** A user clicked an element of a bot's UI (a button, a suggestion, a link). */
export const clickRecorded = defineEvent(
  'conversation.click.recorded',
  1,
  z.object({ clickId: z.uuid(), sessionId: z.uuid(), botId: z.uuid(), elementId: z.string() }),
);

/**
 * A script's SEND MAIL: the mail the email service is asked to deliver, from the bot's configured
 * account, else the platform's MAIL_URL. Recorded in conversation's outbox as the chat's user (a
 * bot's ON or WEBHOOK script: as the bot's owner, with no session); the script goes on once it is
 * committed (the mail is sent asynchronously).
 */
export const mailRequested = defineEvent(
  'conversation.mail.requested',
  1,
  z.object({
    /** The chat that asked; null for a bot's ON or WEBHOOK script, which runs in none. */
    sessionId: z.uuid().nullable(),
    botId: z.uuid(),
    userId: z.uuid(),
    to: z.array(z.email()).min(1).max(50),
    subject: z.string().max(998),
    body: z.string().max(100_000),
    /** Bot files to attach (paths and their owner, never bytes); read by the email service. */
    attachments: botMailAttachments.optional(),
  }),
);

/**
 * A bot was created or changed. `schedule` is what its dialog script's SET SCHEDULE compiled to
 * (null without one), and `script` comes with it only then: the workflow engine keeps the bot's
 * automation in step with it. `updatedAt` orders saves, so a late redelivery of an older save
 * changes nothing.
 */
export const botSaved = defineEvent(
  'conversation.bot.saved',
  1,
  z.object({
    botId: z.uuid(),
    orgId: z.uuid().nullable(),
    ownerUserId: z.uuid(),
    teamId: z.uuid().nullable(),
    name: z.string(),
    schedule: z.object({ cron: z.string(), source: z.string() }).nullable(),
    script: z.string().nullable(),
    updatedAt: z.iso.datetime({ offset: true }),
  }),
);

/** A bot was deleted, with everything of its own: its automations go too. */
export const botDeleted = defineEvent(
  'conversation.bot.deleted',
  1,
  z.object({ botId: z.uuid(), ownerUserId: z.uuid(), teamId: z.uuid().nullable() }),
);

/**
 * A row of a bot table was inserted, updated or deleted (by a script, the tables API or a CSV
 * import), recorded in the same transaction as the change, and only while one of the bot's
 * scripts waits for such a change (ON INSERT OF "table"). `row` is the row's columns after the
 * change (before it, for a delete). `byHandler` marks changes made by such a script itself, which
 * run no handler again, so handlers cannot set each other off without end.
 */
export const botTableChanged = defineEvent(
  'conversation.bot_table.changed',
  1,
  z.object({
    botId: z.uuid(),
    table: z.string().max(63),
    rowId: z.uuid(),
    change: z.enum(['insert', 'update', 'delete']),
    row: z.record(z.string(), z.unknown()),
    byHandler: z.boolean(),
  }),
);
