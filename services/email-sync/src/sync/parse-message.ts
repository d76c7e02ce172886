import type { FetchMessageObject, MessageStructureObject } from 'imapflow';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import type { AttachmentMeta, MailAddress } from '../db/schema.js';

/**
 * A fetched message as a row keeps it. Everything is made storable (no U+0000, no lone
 * surrogates) and bounded, because mail is the least trustworthy input there is: a message that
 * cannot be parsed is still stored, with what the IMAP envelope said and the reason in
 * `parseError`, so one bad message never blocks a folder's sync.
 */
export interface ParsedMessage {
  uid: number;
  modseq: bigint | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  threadId: string | null;
  fromAddress: MailAddress | null;
  toAddresses: MailAddress[];
  ccAddresses: MailAddress[];
  bccAddresses: MailAddress[];
  replyTo: MailAddress[];
  subject: string | null;
  sentAt: Date | null;
  receivedAt: Date;
  flags: string[];
  size: number;
  snippet: string | null;
  textBody: string | null;
  htmlBody: string | null;
  attachments: AttachmentMeta[];
  bodyTruncated: boolean;
  parseError: string | null;
}

const MAX_ADDRESSES = 500;
const MAX_HEADER_TEXT = 2000;
const MAX_REFERENCES = 100;

/** Text Postgres can store: no U+0000, no lone surrogates, at most `max` characters. */
export function storable(value: string | undefined | null, max: number): string | null {
  if (value === undefined || value === null) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what Postgres refuses
  const clean = value.replace(/\u0000/g, '').toWellFormed();
  return clean.length > max ? clean.slice(0, max) : clean;
}

function addressesOf(value: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (!value) return [];
  const list = (Array.isArray(value) ? value : [value]).flatMap((object) => object.value ?? []);
  const flat: MailAddress[] = [];
  // Groups (RFC 5322 `group: a, b;`) hold their members in `group`.
  for (const entry of list) {
    for (const one of entry.group ?? [entry]) {
      if (flat.length >= MAX_ADDRESSES) return flat;
      flat.push({
        name: storable(one.name, 300) ?? '',
        address: (storable(one.address, 320) ?? '').toLowerCase(),
      });
    }
  }
  return flat;
}

const envelopeAddresses = (list: { name?: string; address?: string }[] | undefined): MailAddress[] =>
  (list ?? []).slice(0, MAX_ADDRESSES).map((a) => ({
    name: storable(a.name, 300) ?? '',
    address: (storable(a.address, 320) ?? '').toLowerCase(),
  }));

const messageIdList = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? value.split(/\s+/) : [])
    .map((id) => storable(id.trim(), 998) ?? '')
    .filter(Boolean)
    .slice(-MAX_REFERENCES);

/** The thread a message belongs to: the root of its References chain, else what it answers, else itself. */
export const threadIdOf = (references: string[], inReplyTo: string | null, messageId: string | null) =>
  references[0] ?? inReplyTo ?? messageId;

const SNIPPET_LENGTH = 200;

/**
 * The first 200 characters of the text with its whitespace runs made single spaces. Only a prefix
 * is normalized (the body can be a megabyte; this ran over all of it for every message of a
 * sync): the normalized prefix is a prefix of the normalized whole, so once it holds more than
 * 200 characters they are the same. A prefix mostly of whitespace is grown until it does.
 */
export function snippetOf(text: string | null): string | null {
  if (!text) return null;
  let line: string;
  for (let end = 4 * SNIPPET_LENGTH; ; end *= 4) {
    const normalized = text.slice(0, end).replace(/\s+/g, ' ').trimStart();
    if (end >= text.length) {
      line = normalized.trimEnd();
      break;
    }
    if (normalized.length > SNIPPET_LENGTH) {
      line = normalized;
      break;
    }
  }
  return line ? line.slice(0, SNIPPET_LENGTH) : null;
}

/**
 * The attachments of a message from its BODYSTRUCTURE: each part with a file name or an
 * `attachment` disposition, with the part number its content is later fetched by.
 */
export function attachmentsOf(structure: MessageStructureObject | undefined): AttachmentMeta[] {
  const found: AttachmentMeta[] = [];
  const walk = (node: MessageStructureObject) => {
    if (node.childNodes?.length) {
      for (const child of node.childNodes) walk(child);
      return;
    }
    const filename = node.dispositionParameters?.filename ?? node.parameters?.name ?? null;
    const disposition = node.disposition?.toLowerCase();
    const isBodyText = /^text\/(plain|html)$/i.test(node.type) && !filename && disposition !== 'attachment';
    if (isBodyText || !node.part) return;
    if (!filename && disposition !== 'attachment' && disposition !== 'inline' && !node.id) return;
    const encodedSize = node.size ?? 0;
    found.push({
      part: node.part,
      filename: storable(filename, 500),
      contentType: storable(node.type.toLowerCase(), 200) ?? 'application/octet-stream',
      // BODYSTRUCTURE gives the encoded size; base64 carries 3 bytes in 4 characters.
      size: node.encoding?.toLowerCase() === 'base64' ? Math.floor((encodedSize * 3) / 4) : encodedSize,
      contentId: storable(node.id?.replace(/^<|>$/g, ''), 500),
      inline: disposition === 'inline',
    });
  };
  if (structure) walk(structure);
  return found.slice(0, 500);
}

const dateOrNull = (value: Date | string | undefined) => {
  if (!value) return null;
  const date = value instanceof Date ? value : new Date(value);
  // Postgres takes years 4713 BC to 294276 AD; a message's Date header may say anything.
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999
    ? null
    : date;
};

/**
 * A message's flags as stored, sorted. `\Recent` is left out: it belongs to the IMAP session that
 * first saw the message (RFC 3501; IMAP4rev2 dropped it), so stored it would differ at every
 * later full flag check and announce every message as changed.
 */
export const storedFlags = (flags: Iterable<string> | undefined): string[] =>
  [...(flags ?? [])]
    .filter((flag) => flag.toLowerCase() !== '\\recent')
    .map((flag) => storable(flag, 200) ?? '')
    .filter(Boolean)
    .sort();

/** What the IMAP server says of a message without reading its source. */
function baseOf(fetched: FetchMessageObject) {
  const size = fetched.size ?? fetched.source?.length ?? 0;
  return {
    uid: fetched.uid,
    modseq: fetched.modseq ?? null,
    receivedAt: dateOrNull(fetched.internalDate) ?? new Date(),
    flags: storedFlags(fetched.flags),
    size: Math.min(size, 2 ** 31 - 1),
    attachments: attachmentsOf(fetched.bodyStructure),
  };
}

/** The header fields of a message: from its source once parsed, from the IMAP envelope before. */
export type MessageHeaders = Pick<
  ParsedMessage,
  | 'messageId'
  | 'inReplyTo'
  | 'references'
  | 'threadId'
  | 'fromAddress'
  | 'toAddresses'
  | 'ccAddresses'
  | 'bccAddresses'
  | 'replyTo'
  | 'subject'
  | 'sentAt'
>;

/** What a parse of the source adds: bodies, snippet, and why it could not be read. */
export type MessageBodies = Pick<
  ParsedMessage,
  'snippet' | 'textBody' | 'htmlBody' | 'bodyTruncated' | 'parseError'
>;

/** The header fields the IMAP ENVELOPE gives (no References: the thread is what it answers, or itself). */
export function headersOfEnvelope(envelope: FetchMessageObject['envelope']): MessageHeaders {
  const messageId = storable(envelope?.messageId, 998);
  const inReplyTo = storable(envelope?.inReplyTo, 998);
  return {
    messageId,
    inReplyTo,
    references: [],
    threadId: threadIdOf([], inReplyTo, messageId),
    fromAddress: envelopeAddresses(envelope?.from)[0] ?? null,
    toAddresses: envelopeAddresses(envelope?.to),
    ccAddresses: envelopeAddresses(envelope?.cc),
    bccAddresses: envelopeAddresses(envelope?.bcc),
    replyTo: envelopeAddresses(envelope?.replyTo),
    subject: storable(envelope?.subject, MAX_HEADER_TEXT),
    sentAt: dateOrNull(envelope?.date),
  };
}

/** The threading fields of a message: Message-ID, In-Reply-To, References and the thread they give. */
export type MessageThreading = Pick<MessageHeaders, 'messageId' | 'inReplyTo' | 'references' | 'threadId'>;

/**
 * The threading fields from what mailparser gives for those headers (`knownMessageId` when the
 * source has no Message-ID): the one rule for a parsed message and for a header section read
 * before its message is parsed.
 */
function threadingOf(
  fields: Pick<ParsedMail, 'messageId' | 'inReplyTo' | 'references'>,
  knownMessageId: string | null,
): MessageThreading {
  const references = messageIdList(fields.references);
  const messageId = storable(fields.messageId, 998) ?? knownMessageId;
  const inReplyTo = messageIdList(fields.inReplyTo)[0] ?? null;
  return { messageId, inReplyTo, references, threadId: threadIdOf(references, inReplyTo, messageId) };
}

/** The header fields of a parsed source; `known` where it says nothing. */
function headersOfParsed(parsed: ParsedMail, known: MessageHeaders): MessageHeaders {
  return {
    ...threadingOf(parsed, known.messageId),
    fromAddress: addressesOf(parsed.from)[0] ?? known.fromAddress,
    toAddresses: addressesOf(parsed.to),
    ccAddresses: addressesOf(parsed.cc),
    bccAddresses: addressesOf(parsed.bcc),
    replyTo: addressesOf(parsed.replyTo),
    subject: storable(parsed.subject, MAX_HEADER_TEXT) ?? known.subject,
    sentAt: dateOrNull(parsed.date) ?? known.sentAt,
  };
}

/** Where a source's header section ends (its blank line included); the whole source without one. */
function headerSectionEnd(source: Buffer): number {
  const crlf = source.indexOf('\r\n\r\n');
  const lf = source.indexOf('\n\n');
  const ends = [crlf < 0 ? Infinity : crlf + 4, lf < 0 ? Infinity : lf + 2];
  return Math.min(source.length, ...ends);
}

const THREADING_HEADER = /^(message-id|in-reply-to|references)\s*:/i;

/** mailparser's form of a Message-ID: angle brackets added where missing; empty is none. */
const bracketed = (value: string) =>
  value ? `${value.startsWith('<') ? '' : '<'}${value}${value.endsWith('>') ? '' : '>'}` : undefined;

/**
 * Message-ID, In-Reply-To and References of a source's header section as mailparser reads them
 * (lines unfolded, the first Message-ID and In-Reply-To, every References line in order split at
 * whitespace, ids in angle brackets), without parsing the message: a first sync threads what it
 * stores unparsed by the same rule the indexing pass applies later, at a fraction of a parse's
 * cost (mailparser on the header section alone took 0.3 ms a message, a whole second per 3,000).
 * Undefined when those headers need mailparser's decoding (8-bit text, encoded words, bare CRs)
 * or the section does not start as a header section does: `headersOfSource` reads those.
 */
export function threadingOfHeaderSection(
  source: Buffer,
): Pick<ParsedMail, 'messageId' | 'inReplyTo' | 'references'> | undefined {
  const lines = source.subarray(0, headerSectionEnd(source)).toString('latin1').split('\n');
  const fields: { messageId?: string; inReplyTo?: string; references?: string[] } = {};
  let current: string | undefined;
  const take = (header: string | undefined): boolean => {
    if (header === undefined) return true;
    const colon = header.indexOf(':');
    const key = header.slice(0, colon).trim().toLowerCase();
    const value = header
      .slice(colon + 1)
      .replace(/\n[ \t]*/g, ' ')
      .trim();
    // Encoded words and 8-bit text are decoded by mailparser (libmime): leave them to it.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for 8-bit and control bytes
    if (value.includes('=?') || /[^\x09\x20-\x7e]/.test(value)) return false;
    if (key === 'references') {
      const ids = value.split(/\s+/).flatMap((id) => bracketed(id) ?? []);
      fields.references = [...(fields.references ?? []), ...ids];
    } else {
      const field = key === 'message-id' ? 'messageId' : 'inReplyTo';
      fields[field] ??= bracketed(value);
    }
    return true;
  };
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.includes('\r')) return undefined;
    if (line === '') break;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (i === 0) return undefined;
      if (current !== undefined) current = `${current}\n${line}`;
      continue;
    }
    if (!take(current)) return undefined;
    // Only the three headers are unfolded and read; mailparser's key is what precedes the first
    // colon, trimmed, in any case.
    current = THREADING_HEADER.test(line) ? line : undefined;
  }
  if (!take(current)) return undefined;
  // mailparser keeps a header given once as a single value, and splits it again at whitespace.
  return {
    messageId: fields.messageId,
    inReplyTo: fields.inReplyTo,
    references: fields.references?.length === 1 ? fields.references[0] : fields.references,
  } as Pick<ParsedMail, 'messageId' | 'inReplyTo' | 'references'>;
}

/**
 * The threading fields of a message stored before it is parsed, by the rule its parse applies
 * (`known`: the envelope's): read from its header section, through mailparser when the fast
 * reading cannot be sure of them.
 */
export async function threadingOfSource(source: Buffer, known: MessageHeaders): Promise<MessageThreading> {
  const fields = threadingOfHeaderSection(source);
  if (fields) return threadingOf(fields, known.messageId);
  const { messageId, inReplyTo, references, threadId } = await headersOfSource(source, known);
  return { messageId, inReplyTo, references, threadId };
}

/**
 * The header fields of a message from the header section of its source alone, as `parseSource`
 * gives them (the same mailparser, the same rules), without reading its bodies: cheap enough
 * inside a request's transaction, for a message the indexing pass has not reached (its row holds
 * the envelope's fields, with no References). `known` where the source says nothing or cannot be read.
 */
export async function headersOfSource(source: Buffer, known: MessageHeaders): Promise<MessageHeaders> {
  try {
    const parsed = await simpleParser(source.subarray(0, headerSectionEnd(source)), {
      skipImageLinks: true,
      skipTextToHtml: true,
    });
    return headersOfParsed(parsed, known);
  } catch {
    return known;
  }
}

/**
 * Parses a message's source (`size`: its full size on the server; over `limits.sourceMax` the
 * source was cut there) with mailparser; `known` are the header fields already known (the
 * envelope), kept where the source does not say. Never throws: what cannot be parsed keeps
 * `known`, no bodies, and the reason.
 */
export async function parseSource(
  source: Buffer,
  size: number,
  known: MessageHeaders,
  limits: { bodyMax: number; sourceMax: number },
): Promise<MessageHeaders & MessageBodies> {
  const cut = size > limits.sourceMax;
  try {
    const parsed = await simpleParser(source, {
      skipImageLinks: true,
      skipTextToHtml: true,
      maxHtmlLengthToParse: limits.bodyMax,
    });
    const text = storable(parsed.text, limits.bodyMax);
    const html = parsed.html ? storable(parsed.html, limits.bodyMax) : null;
    return {
      ...headersOfParsed(parsed, known),
      snippet: snippetOf(text),
      textBody: text,
      htmlBody: html,
      bodyTruncated:
        cut ||
        (parsed.text?.length ?? 0) > limits.bodyMax ||
        (typeof parsed.html === 'string' && parsed.html.length > limits.bodyMax),
      parseError: null,
    };
  } catch (error) {
    return {
      ...known,
      snippet: null,
      textBody: null,
      htmlBody: null,
      bodyTruncated: cut,
      parseError: storable(`the message could not be parsed: ${(error as Error).message}`, 500),
    };
  }
}

/**
 * Parses one fetched message (uid, flags, internalDate, size, envelope, bodyStructure and its
 * source, possibly cut at `limits.sourceMax`). Never throws.
 */
export async function parseFetched(
  fetched: FetchMessageObject,
  limits: { bodyMax: number; sourceMax: number },
): Promise<ParsedMessage> {
  const base = baseOf(fetched);
  const envelope = headersOfEnvelope(fetched.envelope);
  if (!fetched.source) {
    return {
      ...base,
      ...envelope,
      snippet: null,
      textBody: null,
      htmlBody: null,
      bodyTruncated: true,
      parseError: null,
    };
  }
  return { ...base, ...(await parseSource(fetched.source, base.size, envelope, limits)) };
}

/**
 * A message stored before it is parsed: what IMAP said of it (envelope, flags, size, attachments)
 * and its source, which the indexing pass parses for bodies, snippet and full-text vector.
 */
export interface PendingMessage
  extends Omit<ParsedMessage, 'snippet' | 'textBody' | 'htmlBody' | 'parseError'> {
  rawSource: Buffer | null;
}

/**
 * A fetched message as the first sync stores it, unparsed: the envelope's header fields, threaded
 * as its parse will thread it (Message-ID, In-Reply-To and References from its header section: the
 * envelope has no References, and a reply keyed by what it answers would change threads when the
 * indexing pass reaches it), and the source kept for the indexing pass (none when the server sent
 * none: nothing to extract then).
 */
export async function pendingOfFetched(
  fetched: FetchMessageObject,
  limits: { sourceMax: number },
): Promise<PendingMessage> {
  const base = baseOf(fetched);
  const envelope = headersOfEnvelope(fetched.envelope);
  return {
    ...base,
    ...envelope,
    ...(fetched.source && (await threadingOfSource(fetched.source, envelope))),
    bodyTruncated: !fetched.source || base.size > limits.sourceMax,
    rawSource: fetched.source ?? null,
  };
}
