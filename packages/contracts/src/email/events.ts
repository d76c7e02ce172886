import { z } from 'zod';
import { defineEvent } from '../event.js';

/**
 * The email service's events (stream EMAIL). Sync events act as the account's owner; each message
 * is announced once per (account, folder, uidvalidity, uid): the row that holds that key and its
 * event are written in one transaction. Payloads carry ids and headers, never passwords or bodies.
 */

/** Whose mailbox it is: events are routed (and access-checked) by these. */
const owner = {
  accountId: z.uuid(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
};

const address = z.object({ name: z.string(), address: z.string() });

/** A message is new in a folder (a first sync or a UIDVALIDITY reset do not announce old mail). */
export const messageReceived = defineEvent(
  'email.message.received',
  1,
  z.object({
    ...owner,
    folderId: z.uuid(),
    folderPath: z.string(),
    /** The stored message's id (email_messages.id). */
    messageId: z.uuid(),
    uidvalidity: z.int().min(0),
    uid: z.int().min(1),
    /** The Message-ID header, when it has one. */
    internetMessageId: z.string().nullable(),
    threadId: z.string().nullable(),
    from: address.nullable(),
    to: z.array(address),
    subject: z.string().nullable(),
    receivedAt: z.iso.datetime({ offset: true }),
    size: z.int().min(0),
  }),
);

/** A message's flags changed (on the server, or through the API). */
export const messageUpdated = defineEvent(
  'email.message.updated',
  1,
  z.object({ ...owner, folderId: z.uuid(), messageId: z.uuid(), flags: z.array(z.string()) }),
);

/** A message left its folder (expunged, moved or deleted). */
export const messageDeleted = defineEvent(
  'email.message.deleted',
  1,
  z.object({ ...owner, folderId: z.uuid(), messageId: z.uuid() }),
);

/** A folder's UIDVALIDITY changed: its messages were dropped and are read again, unannounced. */
export const folderReset = defineEvent(
  'email.folder.reset',
  1,
  z.object({
    ...owner,
    folderId: z.uuid(),
    folderPath: z.string(),
    previousUidvalidity: z.int().min(0).nullable(),
    uidvalidity: z.int().min(0),
  }),
);

export const accountSyncStates = [
  'connecting',
  'syncing',
  'idle',
  'auth_error',
  'connect_error',
  'disabled',
] as const;

/** An account's sync state changed (e.g. to `auth_error` when its password stopped working). */
export const accountStateChanged = defineEvent(
  'email.account.state_changed',
  1,
  z.object({
    ...owner,
    state: z.enum(accountSyncStates),
    previousState: z.enum(accountSyncStates),
    /** The server's reason, for error states. */
    error: z.string().nullable(),
  }),
);

/**
 * Where an outbound mail came from: a user's draft, the API, a template, a bot, the platform's own
 * mails (identity's), or analytics' report and alert deliveries.
 */
export const outboundMailSources = ['draft', 'api', 'template', 'bot', 'system', 'analytics'] as const;
export type OutboundMailSource = (typeof outboundMailSources)[number];

/** Outbound mail: who sent it, from which account (null: the platform's MAIL_URL). */
const outbound = {
  outboundId: z.uuid(),
  accountId: z.uuid().nullable(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  /** The Message-ID header, fixed before the first attempt. */
  internetMessageId: z.string(),
  recipients: z.int().min(0),
  source: z.enum(outboundMailSources),
};

/** A message was accepted by the SMTP server. */
export const messageSent = defineEvent(
  'email.message.sent',
  1,
  z.object({ ...outbound, attempts: z.int().min(1), sentAt: z.iso.datetime({ offset: true }) }),
);

/** A message could not be sent, after its retries. */
export const messageFailed = defineEvent(
  'email.message.failed',
  1,
  z.object({ ...outbound, attempts: z.int().min(0), error: z.string() }),
);
