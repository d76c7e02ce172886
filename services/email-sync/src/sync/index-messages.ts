import { type ActorContext, postgresError, withActor } from '@conduit/db';
import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { emailMessages } from '../db/schema.js';
import type { MailDeps } from '../deps.js';
import { envelopeColumns, envelopeOf } from './envelope-columns.js';
import { accountOwnerContext } from './owner-context.js';
import { type MessageBodies, type MessageHeaders, parseSource, storable } from './parse-message.js';

/** Rows parsed per transaction: each holds its source (at most BODY_MAX_BYTES) until parsed. */
const INDEX_BATCH = 200;
/**
 * Bytes of source read per batch (a batch stops before the row that would pass it, but holds at
 * least one): 200 sources of up to MESSAGE_MAX_BYTES, and their extracted bodies sent as one JSON
 * parameter, could reach V8's longest string and hundreds of MB of memory.
 */
const INDEX_BATCH_BYTES = 16 * 1024 * 1024;

export interface IndexLimits {
  rows: number;
  bytes: number;
}

const pendingColumns = {
  id: emailMessages.id,
  size: emailMessages.size,
  rawSource: emailMessages.rawSource,
  bodyTruncated: emailMessages.bodyTruncated,
  ...envelopeColumns,
};

export type PendingRow = Pick<typeof emailMessages.$inferSelect, keyof typeof pendingColumns>;

/**
 * What the indexing pass extracts from a stored, not yet indexed message: header fields and
 * bodies from its source (the envelope's fields where the source says nothing). A message stored
 * without a source (the server sent none) keeps its envelope and has no bodies.
 */
export async function extractPending(
  deps: Pick<MailDeps, 'env'>,
  row: Omit<PendingRow, 'id'>,
): Promise<MessageHeaders & MessageBodies> {
  const known = envelopeOf(row);
  if (!row.rawSource)
    return { ...known, snippet: null, textBody: null, htmlBody: null, bodyTruncated: true, parseError: null };
  return parseSource(row.rawSource, row.size, known, {
    bodyMax: deps.env.BODY_MAX_BYTES,
    sourceMax: deps.env.MESSAGE_MAX_BYTES,
  });
}

/**
 * The indexing pass of an account: every message stored unparsed (by a first sync) gets its
 * bodies, snippet, threading headers and full-text vector, and its kept source is dropped. Batches
 * go in id order (a first sync stores the newest mail first, so it is searchable first), each at
 * most `limits.rows` rows and `limits.bytes` of source and in its own transaction, and Postgres
 * writes one batch while the next is parsed here. A row Postgres refuses is kept with its envelope
 * and a parse error (writeBatch), so the pass always gets past it. Idempotent and
 * resumable: a row is written only while it is still not indexed, so a pass that runs twice or
 * stops half-way does nothing twice and the next one takes what is left. It announces nothing
 * (`email.message.received` belongs to the sync that stored the row). Answers how many rows it indexed.
 */
export async function indexAccountMessages(
  deps: MailDeps,
  accountId: string,
  limits: IndexLimits = { rows: INDEX_BATCH, bytes: INDEX_BATCH_BYTES },
): Promise<number> {
  const ctx = await accountOwnerContext(deps.db, accountId);
  if (!ctx) return 0;
  let after: string | undefined;
  let indexed = 0;
  let writing: Promise<void> = Promise.resolve();
  let failed: unknown;
  for (;;) {
    const rows = await withActor(deps.db, ctx, async (tx) => {
      const unindexed = and(
        eq(emailMessages.accountId, accountId),
        isNull(emailMessages.indexedAt),
        after ? gt(emailMessages.id, after) : undefined,
      );
      // Sizes first (octet_length reads no out-of-line source), so a batch of large sources
      // stops at `limits.bytes` before any of them is read.
      const sized = await tx
        .select({
          id: emailMessages.id,
          bytes: sql<number>`coalesce(octet_length(${emailMessages.rawSource}), 0)::int`,
        })
        .from(emailMessages)
        .where(unindexed)
        .orderBy(asc(emailMessages.id))
        .limit(limits.rows);
      const ids: string[] = [];
      let bytes = 0;
      for (const row of sized) {
        bytes += row.bytes;
        if (ids.length > 0 && bytes > limits.bytes) break;
        ids.push(row.id);
      }
      if (ids.length === 0) return [];
      return (await tx
        .select(pendingColumns)
        .from(emailMessages)
        .where(and(unindexed, inArray(emailMessages.id, ids)))
        .orderBy(asc(emailMessages.id))) as PendingRow[];
    });
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    const extracted: ({ id: string } & MessageHeaders & MessageBodies)[] = [];
    for (const row of rows) extracted.push({ id: row.id, ...(await extractPending(deps, row)) });
    await writing;
    if (failed) break;
    writing = writeBatch(deps, ctx, accountId, rows, extracted).then(
      (n) => {
        indexed += n;
      },
      (error: unknown) => {
        failed = error;
      },
    );
  }
  await writing;
  if (failed) throw failed;
  return indexed;
}

type Extracted = { id: string } & MessageHeaders & MessageBodies;

/**
 * Writes a batch's extracted rows. A batch whose write fails is written again row by row, and a
 * row that still fails is marked indexed with its envelope only (its vector from subject and
 * addresses) and the error as its parse error, as a one-pass parse records malformed MIME: else
 * every later pass would start at that row and fail the same way, and nothing after it would ever
 * be indexed. A transient failure (connection lost, serialization, out of resources, shutting
 * down) throws instead, and the job's retry finds the rows as they were: giving up a body for it
 * would lose it for good (the source is dropped). Throws too when even the envelope write fails.
 */
async function writeBatch(
  deps: MailDeps,
  ctx: ActorContext,
  accountId: string,
  rows: PendingRow[],
  extracted: Extracted[],
): Promise<number> {
  try {
    return await writeExtracted(deps, ctx, accountId, extracted);
  } catch (batchError) {
    if (transient(batchError)) throw batchError;
    if (extracted.length === 1 && rows.length === 1)
      return writeEnvelopeOnly(deps, ctx, accountId, rows[0]!, batchError);
    let written = 0;
    for (const [i, one] of extracted.entries()) {
      try {
        written += await writeExtracted(deps, ctx, accountId, [one]);
      } catch (rowError) {
        if (transient(rowError)) throw rowError;
        written += await writeEnvelopeOnly(deps, ctx, accountId, rows[i]!, rowError);
      }
    }
    return written;
  }
}

function writeEnvelopeOnly(
  deps: MailDeps,
  ctx: ActorContext,
  accountId: string,
  row: PendingRow,
  error: unknown,
) {
  const { id, size, rawSource, bodyTruncated, ...known } = row;
  return writeExtracted(deps, ctx, accountId, [
    {
      id,
      ...known,
      snippet: null,
      textBody: null,
      htmlBody: null,
      bodyTruncated: true,
      parseError: storable(`the message could not be indexed: ${reasonOf(error)}`, 500),
    },
  ]);
}

/**
 * Postgres's reason, not the query-builder's wrapper: its message holds the query and parameters,
 * that is the message's bodies, which must not end up in `parse_error`.
 */
const reasonOf = (error: unknown) => {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  return cause instanceof Error ? cause.message : String(cause);
};

/** SQLSTATE classes 08, 40, 53, 57, 58 and postgres.js's connection errors: worth a retry as is. */
const transient = (error: unknown) => {
  const code = postgresError(error)?.code;
  return code !== undefined && (/^(08|40|53|57|58)/.test(code) || code.startsWith('CONNECTION'));
};

async function writeExtracted(deps: MailDeps, ctx: ActorContext, accountId: string, extracted: Extracted[]) {
  return withActor(deps.db, ctx, async (tx) => {
    const updated = await tx.execute(sql`
        update email.email_messages m set
          message_id = v.message_id, in_reply_to = v.in_reply_to, "references" = v.refs,
          thread_id = v.thread_id, from_address = v.from_address, to_addresses = v.to_addresses,
          cc_addresses = v.cc_addresses, bcc_addresses = v.bcc_addresses, reply_to = v.reply_to,
          subject = v.subject, sent_at = v.sent_at, snippet = v.snippet, text_body = v.text_body,
          html_body = v.html_body, body_truncated = v.body_truncated, parse_error = v.parse_error,
          search = email.message_search_vector(v.subject, v.from_address, v.to_addresses, v.cc_addresses, v.text_body),
          raw_source = null, indexed_at = now(), updated_at = now()
        from json_to_recordset(${JSON.stringify(extracted.map(recordOf))}::json) as v(
          id uuid, message_id text, in_reply_to text, refs text[], thread_id text, from_address jsonb,
          to_addresses jsonb, cc_addresses jsonb, bcc_addresses jsonb, reply_to jsonb, subject text,
          sent_at timestamptz, snippet text, text_body text, html_body text, body_truncated boolean,
          parse_error text)
        where m.id = v.id and m.account_id = ${accountId} and m.indexed_at is null`);
    return updated.count ?? 0;
  });
}

const recordOf = (m: { id: string } & MessageHeaders & MessageBodies) => ({
  id: m.id,
  message_id: m.messageId,
  in_reply_to: m.inReplyTo,
  refs: m.references,
  thread_id: m.threadId,
  from_address: m.fromAddress,
  to_addresses: m.toAddresses,
  cc_addresses: m.ccAddresses,
  bcc_addresses: m.bccAddresses,
  reply_to: m.replyTo,
  subject: m.subject,
  sent_at: m.sentAt?.toISOString() ?? null,
  snippet: m.snippet,
  text_body: m.textBody,
  html_body: m.htmlBody,
  body_truncated: m.bodyTruncated,
  parse_error: m.parseError,
});

/** Queues the indexing pass of an account (its first sync stored messages unparsed). */
export async function requestIndexing(deps: MailDeps, accountId: string): Promise<void> {
  await deps.jobs.add('index-messages', { accountId }, { jobId: `index-${accountId}-${Date.now()}` });
}

/** Whether the account has messages the indexing pass has still to do. */
export async function hasUnindexed(deps: MailDeps, ctx: ActorContext, accountId: string) {
  const [row] = await withActor(deps.db, ctx, (tx) =>
    tx
      .select({ id: emailMessages.id })
      .from(emailMessages)
      .where(and(eq(emailMessages.accountId, accountId), isNull(emailMessages.indexedAt)))
      .limit(1),
  );
  return row !== undefined;
}
