import { appendEvent } from '@conduit/bus';
import { emailEvents } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { emailMessages, outbox } from '../db/schema.js';
import type { AccountRow } from '../domain/accounts/account-dto.js';
import { ownerActor } from '../domain/accounts/account-state.js';
import type { FolderRow } from './folder-row.js';
import type { ParsedMessage, PendingMessage } from './parse-message.js';

/** A message parsed as it is stored (indexed at once), or stored unparsed for the indexing pass. */
export type StorableMessage = ParsedMessage | PendingMessage;

const isPending = (m: StorableMessage): m is PendingMessage => 'rawSource' in m;

/**
 * The full-text vector of a message, by the same function the indexing pass uses. A pending
 * message has no body yet: its vector holds subject and addresses, so search finds it by those at
 * once, and the indexing pass rewrites it with the body.
 */
const searchVectorOf = (m: StorableMessage, textBody: string | null) =>
  sql`email.message_search_vector(${m.subject}, ${JSON.stringify(m.fromAddress)}::jsonb, ${JSON.stringify(m.toAddresses)}::jsonb, ${JSON.stringify(m.ccAddresses)}::jsonb, ${textBody})`;

/**
 * Inserts fetched messages of a folder; one already stored under the same (account, folder,
 * uidvalidity, uid) is left as it is. With `announce`, each row this insert created gets its
 * `email.message.received` in the same transaction, so a message is announced once however often
 * a sync is repeated or resumed. A parsed message is stored indexed (bodies and full-text vector);
 * a pending one with its source, for the indexing pass, and a vector of its envelope meanwhile. Answers how many rows were new.
 */
export async function storeMessages(
  tx: Transaction,
  account: AccountRow,
  folder: FolderRow,
  uidvalidity: number,
  messages: StorableMessage[],
  announce: boolean,
): Promise<number> {
  if (messages.length === 0) return 0;
  const created = await tx
    .insert(emailMessages)
    .values(
      messages.map((m) => ({
        id: uuidv7(),
        accountId: account.id,
        folderId: folder.id,
        uidvalidity,
        ...m,
        ...(isPending(m)
          ? { indexedAt: null, search: searchVectorOf(m, null) }
          : { indexedAt: sql`now()`, search: searchVectorOf(m, m.textBody) }),
      })),
    )
    .onConflictDoNothing({
      target: [emailMessages.accountId, emailMessages.folderId, emailMessages.uidvalidity, emailMessages.uid],
    })
    .returning({ id: emailMessages.id, uid: emailMessages.uid });
  if (announce) {
    const byUid = new Map(messages.map((m) => [m.uid, m]));
    for (const row of created) {
      const m = byUid.get(row.uid)!;
      await appendEvent(
        tx,
        outbox,
        emailEvents.messageReceived,
        {
          accountId: account.id,
          ownerUserId: account.userId,
          teamId: account.teamId,
          folderId: folder.id,
          folderPath: folder.path,
          messageId: row.id,
          uidvalidity,
          uid: m.uid,
          internetMessageId: m.messageId,
          threadId: m.threadId,
          from: m.fromAddress,
          to: m.toAddresses.slice(0, 50),
          subject: m.subject,
          receivedAt: m.receivedAt.toISOString(),
          size: m.size,
        },
        ownerActor(account),
      );
    }
  }
  return created.length;
}
