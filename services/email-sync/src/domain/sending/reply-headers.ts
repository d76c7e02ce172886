import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { emailMessages } from '../../db/schema.js';
import { envelopeColumns } from '../../sync/envelope-columns.js';
import { headersOfSource } from '../../sync/parse-message.js';

/** Servers and clients cut long References chains; the newest ids are the ones threads need. */
const REFERENCES_KEPT = 20;

/**
 * In-Reply-To and References of a reply to a stored message of the same account. Throws not_found
 * when the account has no such message; a message without a Message-ID gives no headers. A message
 * the indexing pass has not reached holds its envelope's fields (and no References when a sync
 * before they were read at store time kept it): its Message-ID and References are read from the
 * header section of its kept source, so the reply still carries the whole chain.
 */
export async function replyHeaders(tx: Transaction, accountId: string, messageRowId: string | undefined) {
  if (!messageRowId) return { inReplyTo: null, references: [] as string[] };
  const [row] = await tx
    .select({ ...envelopeColumns, indexedAt: emailMessages.indexedAt, rawSource: emailMessages.rawSource })
    .from(emailMessages)
    .where(and(eq(emailMessages.id, messageRowId), eq(emailMessages.accountId, accountId)));
  if (!row) throw new DomainError('not_found', 'No such message in this mail account to reply to.');
  const { indexedAt, rawSource, ...known } = row;
  const answered = !indexedAt && rawSource ? await headersOfSource(rawSource, known) : known;
  if (!answered.messageId)
    return { inReplyTo: null, references: answered.references.slice(-REFERENCES_KEPT) };
  const messageId = answered.messageId.startsWith('<') ? answered.messageId : `<${answered.messageId}>`;
  const references = [...answered.references.filter((id) => id !== messageId), messageId];
  return { inReplyTo: messageId, references: references.slice(-REFERENCES_KEPT) };
}
