import { emailMessages } from '../db/schema.js';
import type { MessageHeaders } from './parse-message.js';

/**
 * A stored message's header fields (`MessageHeaders`) as columns to select: what its row holds
 * before the indexing pass reaches it (the envelope's fields and what its header section threads
 * it by), and what a parse of its source starts from and keeps where the source says nothing.
 */
export const envelopeColumns = {
  messageId: emailMessages.messageId,
  inReplyTo: emailMessages.inReplyTo,
  references: emailMessages.references,
  threadId: emailMessages.threadId,
  fromAddress: emailMessages.fromAddress,
  toAddresses: emailMessages.toAddresses,
  ccAddresses: emailMessages.ccAddresses,
  bccAddresses: emailMessages.bccAddresses,
  replyTo: emailMessages.replyTo,
  subject: emailMessages.subject,
  sentAt: emailMessages.sentAt,
} satisfies Record<keyof MessageHeaders, unknown>;

const envelopeKeys = Object.keys(envelopeColumns) as (keyof MessageHeaders)[];

/** The header fields of a row selected with `envelopeColumns` (and maybe more). */
export const envelopeOf = (row: MessageHeaders): MessageHeaders =>
  Object.fromEntries(envelopeKeys.map((key) => [key, row[key]])) as unknown as MessageHeaders;
