import { z } from 'zod';
import { defineEvent } from '../event.js';
import { botMailAttachments } from '../workspace/bot-mail-attachments.js';

const triggerType = z.enum(['manual', 'webhook', 'schedule', 'event', 'error', 'retry', 'subworkflow']);

/** What identifies an execution in each of its events. */
const execution = {
  executionId: z.uuid(),
  workflowId: z.uuid(),
  workflowVersion: z.int().min(1),
  triggerType,
};

/** A workflow became active: its schedules, webhooks and event triggers now start executions. */
export const workflowActivated = defineEvent(
  'workflow.workflow.activated',
  1,
  z.object({
    workflowId: z.uuid(),
    version: z.int().min(1),
    ownerUserId: z.uuid(),
    teamId: z.uuid().nullable(),
  }),
);

/** An execution's first node was taken up by a worker. */
export const executionStarted = defineEvent('workflow.execution.started', 1, z.object(execution));

/** An execution ran to its end. */
export const executionSucceeded = defineEvent(
  'workflow.execution.succeeded',
  1,
  z.object({ ...execution, execTimeMs: z.int().min(0).nullable() }),
);

/** An execution stopped at a node that failed for good (its retries spent). */
export const executionFailed = defineEvent(
  'workflow.execution.failed',
  1,
  z.object({
    ...execution,
    error: z.string(),
    errorNode: z.string().nullable(),
    execTimeMs: z.int().min(0).nullable(),
  }),
);

/**
 * A bot automation's SEND MAIL: the mail the email service is asked to deliver, as the bot's owner
 * (the counterpart of conversation.mail.requested, which carries a chat session instead of a run).
 */
export const mailRequested = defineEvent(
  'workflow.mail.requested',
  1,
  z.object({
    automationId: z.uuid(),
    runId: z.uuid(),
    botId: z.uuid(),
    userId: z.uuid(),
    teamId: z.uuid().nullable(),
    to: z.array(z.email()).min(1).max(50),
    subject: z.string().max(998),
    body: z.string().max(100_000),
    /**
     * Which SEND MAIL of the run this is (0, 1, ...): a run tried again after a failure sends its
     * mails again in the same order, and the email service sends each (run, sequence) once.
     */
    sequence: z.int().min(0).max(1_000_000).optional(),
    /** Bot files to attach (paths and their owner, never bytes); read by the email service. */
    attachments: botMailAttachments.optional(),
  }),
);
