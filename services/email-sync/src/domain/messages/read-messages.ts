import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq, exists, getTableColumns, gte, isNull, type SQL, sql } from 'drizzle-orm';
import { emailMessages, userEmailAccounts } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { extractPending } from '../../sync/index-messages.js';
import { accountFor, accountRef } from '../accounts/account-access.js';
import { folderFor, messageFor } from './message-access.js';
import { type MessageRow, toMessageSummary } from './message-dto.js';
import { sanitizeMailHtml } from './sanitize-html.js';

const {
  textBody: _t,
  htmlBody: _h,
  search: _s,
  rawSource: _r,
  ...summaryColumns
} = getTableColumns(emailMessages);

/** Newest first, by the server's arrival time; the id breaks ties. */
const newestFirst = { by: [emailMessages.receivedAt, emailMessages.id], order: 'desc' } as const;

export interface MessageFilter {
  unread?: boolean | undefined;
  flagged?: boolean | undefined;
  /** Part of the sender's address or name, case-insensitive. */
  from?: string | undefined;
  since?: string | undefined;
}

const hasFlag = (flag: string) => sql`${flag} = any(${emailMessages.flags})`;

function filterOf(filter: MessageFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.unread !== undefined)
    where.push(filter.unread ? sql`not ${hasFlag('\\Seen')}` : hasFlag('\\Seen'));
  if (filter.flagged !== undefined)
    where.push(filter.flagged ? hasFlag('\\Flagged') : sql`not ${hasFlag('\\Flagged')}`);
  if (filter.from) {
    const pattern = `%${filter.from.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(
      sql`(${emailMessages.fromAddress}->>'address' ilike ${pattern} or ${emailMessages.fromAddress}->>'name' ilike ${pattern})`,
    );
  }
  if (filter.since) where.push(gte(emailMessages.receivedAt, new Date(filter.since)));
  return where;
}

/** A folder's messages, newest first, filtered. Throws not_found for a folder the caller may not read. */
export async function listMessages(
  deps: MailDeps,
  actor: Actor,
  folderId: string,
  query: PageRequest & MessageFilter,
) {
  const keyset = keysetPage(newestFirst, query);
  return asActor(deps.db, actor, async (tx) => {
    await folderFor(tx, actor, folderId, 'email.read');
    const rows = await tx
      .select({ ...summaryColumns, pageKey: keyset.key })
      .from(emailMessages)
      .where(and(eq(emailMessages.folderId, folderId), ...filterOf(query), keyset.after))
      .orderBy(...keyset.orderBy)
      .limit(keyset.limit);
    return keyset.of(rows, toMessageSummary);
  });
}

/**
 * One message with its bodies (HTML also sanitized) and attachments. One the indexing pass has not
 * reached yet is parsed from its kept source now (and left for the pass to store). Throws not_found.
 */
export async function getMessage(deps: MailDeps, actor: Actor, messageId: string) {
  const message = await asActor(deps.db, actor, async (tx) => {
    const { message } = await messageFor(tx, actor, messageId, 'email.read');
    return message;
  });
  if (message.indexedAt) return toMessageDto(message);
  return toMessageDto({ ...message, ...(await extractPending(deps, message)) });
}

export const toMessageDto = (row: MessageRow) => ({
  ...toMessageSummary(row),
  bcc: row.bccAddresses,
  replyTo: row.replyTo,
  inReplyTo: row.inReplyTo,
  references: row.references,
  text: row.textBody,
  html: row.htmlBody,
  sanitizedHtml: row.htmlBody ? sanitizeMailHtml(row.htmlBody) : null,
  attachments: row.attachments,
  bodyTruncated: row.bodyTruncated,
  parseError: row.parseError,
});

/** The messages of a message's thread in its account, oldest first (at most 500). Throws not_found. */
export async function getThread(deps: MailDeps, actor: Actor, messageId: string, query: PageRequest) {
  const keyset = keysetPage({ by: [emailMessages.receivedAt, emailMessages.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const { message } = await messageFor(tx, actor, messageId, 'email.read');
    if (!message.threadId) return { items: [toMessageSummary(message)], nextCursor: null };
    const rows = await tx
      .select({ ...summaryColumns, pageKey: keyset.key })
      .from(emailMessages)
      .where(
        and(
          eq(emailMessages.accountId, message.accountId),
          eq(emailMessages.threadId, message.threadId),
          keyset.after,
        ),
      )
      .orderBy(...keyset.orderBy)
      .limit(keyset.limit);
    return keyset.of(rows, toMessageSummary);
  });
}

/**
 * Full-text search over subject, addresses and bodies of the mail the caller may read (one
 * account when given), newest first. `indexing` is true while one of those accounts has messages
 * the indexing pass has not done: they are found by subject and addresses only, not by their
 * body yet, so the answer may be incomplete. Throws not_found for an account they may not read.
 */
export async function searchMessages(
  deps: MailDeps,
  actor: Actor,
  query: PageRequest & MessageFilter & { q: string; accountId?: string | undefined },
) {
  if (!can(actor, 'email.read')) return { items: [], nextCursor: null, indexing: false };
  const keyset = keysetPage(newestFirst, query);
  return asActor(deps.db, actor, async (tx) => {
    if (query.accountId) await accountFor(tx, actor, query.accountId, 'email.read');
    const rows = await tx
      .select({
        ...summaryColumns,
        pageKey: keyset.key,
        owner: {
          userId: userEmailAccounts.userId,
          teamId: userEmailAccounts.teamId,
          organizationId: userEmailAccounts.organizationId,
        },
      })
      .from(emailMessages)
      .innerJoin(userEmailAccounts, eq(userEmailAccounts.id, emailMessages.accountId))
      .where(
        and(
          sql`${emailMessages.search} @@ websearch_to_tsquery('simple', ${query.q})`,
          query.accountId ? eq(emailMessages.accountId, query.accountId) : undefined,
          ...filterOf(query),
          keyset.after,
        ),
      )
      .orderBy(...keyset.orderBy)
      .limit(keyset.limit);
    const page = keyset.of(rows, ({ owner, ...row }) =>
      can(actor, 'email.read', accountRef(owner)) ? toMessageSummary(row) : null,
    );
    // Accounts, not messages, are few: the unindexed partial index answers each at once.
    const indexingAccounts = await tx
      .select({
        userId: userEmailAccounts.userId,
        teamId: userEmailAccounts.teamId,
        organizationId: userEmailAccounts.organizationId,
      })
      .from(userEmailAccounts)
      .where(
        and(
          query.accountId ? eq(userEmailAccounts.id, query.accountId) : undefined,
          exists(
            tx
              .select({ one: sql`1` })
              .from(emailMessages)
              .where(and(eq(emailMessages.accountId, userEmailAccounts.id), isNull(emailMessages.indexedAt))),
          ),
        ),
      );
    return {
      items: page.items.filter((item) => item !== null),
      nextCursor: page.nextCursor,
      indexing: indexingAccounts.some((owner) => can(actor, 'email.read', accountRef(owner))),
    };
  });
}
