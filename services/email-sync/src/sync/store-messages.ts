import { appendEvent } from '@conduit/bus';
import { emailEvents } from '@conduit/contracts';
import { inRuns, type Transaction, uuidv7 } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { outbox } from '../db/schema.js';
import type { AccountRow } from '../domain/accounts/account-dto.js';
import { ownerActor } from '../domain/accounts/account-state.js';
import { byteaEscapeText } from './bytea-text.js';
import type { FolderRow } from './folder-row.js';
import type { ParsedMessage, PendingMessage } from './parse-message.js';

/** A message parsed as it is stored (indexed at once), or stored unparsed for the indexing pass. */
export type StorableMessage = ParsedMessage | PendingMessage;

const isPending = (m: StorableMessage): m is PendingMessage => 'rawSource' in m;

/**
 * Source bytes one insert statement carries at most (it holds at least one row): a batch of
 * sources of up to BODY_MAX_BYTES each, sent as text of up to four characters a byte, could pass
 * V8's longest string and Postgres's largest message in a single statement.
 */
const STATEMENT_SOURCE_BYTES = 16 * 1024 * 1024;

/** A Postgres array literal of texts (`{"a","b"}`): one row's text[] inside an array of rows. */
const textArrayLiteral = (values: string[]) =>
  `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;

/**
 * The messages as one array per column, for `unnest`: one parameter a column, whatever the row
 * count. The arrays hold texts and numbers only, and booleans and times are cast row by row from
 * text: postgres.js types an array parameter by its first element on a statement's first run
 * (`bytea`, `boolean` where the statement takes an array), serializes a `boolean[]` with its
 * boolean serializer (which reads the text 'true' as false), and drizzle passes a `timestamptz[]`
 * on as it is. The sources go as one `bytea` of them all, cut apart by each one's offset and length
 * (null: no source): sent as one text in bytea's escape form (`byteaEscapeText`), mostly the
 * bytes themselves, where an array of them would be escaped again and parsed character by
 * character by Postgres, and postgres.js would send a Buffer as hex, twice its size.
 */
function columnsOf(messages: StorableMessage[]) {
  const column = <T>(of: (m: StorableMessage) => T) => sql.param(messages.map(of));
  const json = (value: unknown) => JSON.stringify(value);
  const sources = messages.map((m) => (isPending(m) ? m.rawSource : null));
  let offset = 1;
  const sourceStarts = sources.map((source) => {
    const start = offset;
    offset += source?.length ?? 0;
    return start;
  });
  return {
    id: column(() => uuidv7()),
    uid: column((m) => m.uid),
    modseq: column((m) => m.modseq?.toString() ?? null),
    messageId: column((m) => m.messageId),
    inReplyTo: column((m) => m.inReplyTo),
    references: column((m) => textArrayLiteral(m.references)),
    threadId: column((m) => m.threadId),
    from: column((m) => (m.fromAddress ? json(m.fromAddress) : null)),
    to: column((m) => json(m.toAddresses)),
    cc: column((m) => json(m.ccAddresses)),
    bcc: column((m) => json(m.bccAddresses)),
    replyTo: column((m) => json(m.replyTo)),
    subject: column((m) => m.subject),
    sentAt: column((m) => m.sentAt?.toISOString() ?? null),
    receivedAt: column((m) => m.receivedAt.toISOString()),
    flags: column((m) => textArrayLiteral(m.flags)),
    size: column((m) => m.size),
    snippet: column((m) => (isPending(m) ? null : m.snippet)),
    textBody: column((m) => (isPending(m) ? null : m.textBody)),
    htmlBody: column((m) => (isPending(m) ? null : m.htmlBody)),
    attachments: column((m) => json(m.attachments)),
    bodyTruncated: column((m) => String(m.bodyTruncated)),
    parseError: column((m) => (isPending(m) ? null : m.parseError)),
    parsed: column((m) => String(!isPending(m))),
    sourceStart: sql.param(sourceStarts),
    sourceLength: sql.param(sources.map((source) => source?.length ?? null)),
    sources: sql.param(byteaEscapeText(Buffer.concat(sources.filter((source) => source !== null)))),
  };
}

/**
 * One insert of the messages from one array per column (`unnest`): a statement of the same text
 * and some twenty parameters whatever the row count (prepared once per connection), where a
 * multi-row insert built by drizzle took as long to build as a batch took to fetch (about 30
 * parameters a row, each checked and mapped). The sources' text is read as bytea once, in a
 * subquery (Postgres runs it once, as an init plan), not once a row as a cast of a parameter
 * could be in a generic plan. A pending message's vector is that of its envelope
 * (no body yet): search finds it by subject and addresses at once, and the indexing pass rewrites
 * it with the body. Answers the rows it created.
 */
function insertRows(
  tx: Transaction,
  account: AccountRow,
  folder: FolderRow,
  uidvalidity: number,
  messages: StorableMessage[],
) {
  const c = columnsOf(messages);
  return tx.execute<{ id: string; uid: string }>(sql`
    insert into email.email_messages (id, account_id, folder_id, uidvalidity, uid, modseq, message_id,
      in_reply_to, "references", thread_id, from_address, to_addresses, cc_addresses, bcc_addresses,
      reply_to, subject, sent_at, received_at, flags, size, snippet, text_body, html_body, attachments,
      body_truncated, parse_error, raw_source, indexed_at, search)
    select v.id, ${account.id}::uuid, ${folder.id}::uuid, ${uidvalidity}::bigint, v.uid, v.modseq, v.message_id,
      v.in_reply_to, v.refs::text[], v.thread_id, v.from_address, v.to_addresses, v.cc_addresses,
      v.bcc_addresses, v.reply_to, v.subject, v.sent_at::timestamptz, v.received_at::timestamptz, v.flags::text[], v.size, v.snippet,
      v.text_body, v.html_body, v.attachments, v.body_truncated::boolean, v.parse_error,
      case when v.source_length is not null then substring((select ${c.sources}::text::bytea) from v.source_start for v.source_length) end,
      case when v.parsed::boolean then now() end,
      email.message_search_vector(v.subject, v.from_address, v.to_addresses, v.cc_addresses, v.text_body)
    from unnest(${c.id}::uuid[], ${c.uid}::bigint[], ${c.modseq}::bigint[], ${c.messageId}::text[],
      ${c.inReplyTo}::text[], ${c.references}::text[], ${c.threadId}::text[], ${c.from}::jsonb[], ${c.to}::jsonb[],
      ${c.cc}::jsonb[], ${c.bcc}::jsonb[], ${c.replyTo}::jsonb[], ${c.subject}::text[], ${c.sentAt}::text[],
      ${c.receivedAt}::text[], ${c.flags}::text[], ${c.size}::int[], ${c.snippet}::text[], ${c.textBody}::text[],
      ${c.htmlBody}::text[], ${c.attachments}::jsonb[], ${c.bodyTruncated}::text[], ${c.parseError}::text[],
      ${c.sourceStart}::int[], ${c.sourceLength}::int[], ${c.parsed}::text[])
      as v(id, uid, modseq, message_id, in_reply_to, refs, thread_id, from_address, to_addresses,
        cc_addresses, bcc_addresses, reply_to, subject, sent_at, received_at, flags, size, snippet,
        text_body, html_body, attachments, body_truncated, parse_error, source_start, source_length, parsed)
    on conflict (account_id, folder_id, uidvalidity, uid) do nothing
    returning id, uid`);
}

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
  const created: { id: string; uid: string }[] = [];
  // Runs of at most STATEMENT_SOURCE_BYTES of source, each at least one message.
  const sourceBytes = (m: StorableMessage) => (isPending(m) ? (m.rawSource?.length ?? 0) : 0);
  for (const run of inRuns(messages, sourceBytes, STATEMENT_SOURCE_BYTES))
    created.push(...(await insertRows(tx, account, folder, uidvalidity, run)));
  if (announce) {
    const byUid = new Map(messages.map((m) => [m.uid, m]));
    for (const row of created) {
      const m = byUid.get(Number(row.uid))!;
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
