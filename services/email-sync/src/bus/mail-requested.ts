import { conversationEvents, identityEvents, workflowEvents } from '@conduit/contracts';
import { type BackgroundTask, consumeEvent } from '@conduit/runtime';
import type { MailDeps } from '../deps.js';
import { queueBotMail } from '../domain/sending/bot-mail.js';
import { queueSystemTemplateMail } from '../domain/sending/system-mail.js';

/**
 * A bot's SEND MAIL in a chat (conversation.mail.requested): from the bot's account, else through
 * MAIL_URL as the chat's user. The event id is the idempotency key, and the outbound row commits
 * with the record of the event, so a redelivery sends nothing twice.
 */
export const mailRequestedConsumer = consumeEvent<MailDeps, typeof conversationEvents.mailRequested>({
  event: conversationEvents.mailRequested,
  name: 'mail-requested',
  apply: (deps, tx, envelope) =>
    queueBotMail(deps, tx, {
      botId: envelope.data.botId,
      fallbackOwner: { userId: envelope.data.userId, orgId: envelope.actor?.orgId ?? null, teamId: null },
      to: envelope.data.to,
      subject: envelope.data.subject,
      body: envelope.data.body,
      attachments: envelope.data.attachments,
      idempotencyKey: `conversation:${envelope.id}`,
    }),
});

/**
 * A bot automation's SEND MAIL (workflow.mail.requested): the same path, as the automation's owner
 * (and its team) when the bot has no account.
 */
export const automationMailConsumer = consumeEvent<MailDeps, typeof workflowEvents.mailRequested>({
  event: workflowEvents.mailRequested,
  name: 'automation-mail-requested',
  apply: (deps, tx, envelope) =>
    queueBotMail(deps, tx, {
      botId: envelope.data.botId,
      fallbackOwner: {
        userId: envelope.data.userId,
        orgId: envelope.actor?.orgId ?? null,
        teamId: envelope.data.teamId,
      },
      to: envelope.data.to,
      subject: envelope.data.subject,
      body: envelope.data.body,
      attachments: envelope.data.attachments,
      // One mail per SEND MAIL of a run, however often the run is tried (older events: per event).
      idempotencyKey:
        envelope.data.sequence === undefined
          ? `workflow:${envelope.id}`
          : `workflow:${envelope.data.runId}:${envelope.data.sequence}`,
    }),
});

/**
 * Before the consumers start: the producers' streams must exist for durable consumers on them.
 * When this worker starts first (a fresh cluster, a test's own bus namespace) it creates them with
 * the one configuration every service's stream has, which their producers then find in place.
 */
export const mailRequestStreams: BackgroundTask<MailDeps> = {
  name: 'mail request streams',
  async start(deps) {
    for (const producer of ['conversation', 'workflow', 'identity', 'analytics'])
      await deps.bus.ensureStream(producer);
    return { stop: async () => {} };
  },
};

/**
 * Identity's mails (identity.mail.requested, MAIL_DELIVERY=email-service): its system template,
 * rendered here with the event's variables, sent through MAIL_URL. The variables may hold a
 * one-time token; they are never logged (a failure logs the error only).
 */
export const identityMailConsumer = consumeEvent<MailDeps, typeof identityEvents.mailRequested>({
  event: identityEvents.mailRequested,
  name: 'identity-mail-requested',
  apply: (deps, tx, envelope) =>
    queueSystemTemplateMail(deps, tx, {
      templateKey: envelope.data.template,
      to: envelope.data.to,
      variables: envelope.data.variables,
      idempotencyKey: `identity:${envelope.id}`,
    }),
});
