import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { AttachmentInput } from './message-input.js';

export interface Composition {
  from: { name?: string | null; address: string };
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  html?: string | null;
  attachments?: AttachmentInput[];
  inReplyTo?: string | null;
  references?: string[];
}

/**
 * A Message-ID for a new message, at the sender's domain: fixed before the first attempt, so every
 * retry sends the same message and a provider that de-duplicates keeps one copy.
 */
export function newMessageId(fromAddress: string): string {
  const domain = fromAddress.split('@')[1]?.toLowerCase() || 'conduit.invalid';
  return `<${randomUUID()}@${domain}>`;
}

/**
 * The whole RFC 5322 message (nodemailer's composer: encoded headers, quoted-printable or base64
 * bodies, so the result is 7-bit). Bcc is left out of the headers; the envelope carries it.
 */
export async function composeMessage(message: Composition, messageId: string): Promise<string> {
  const composer = new MailComposer({
    from: message.from.name
      ? { name: message.from.name, address: message.from.address }
      : message.from.address,
    to: message.to,
    cc: message.cc,
    subject: message.subject,
    // A message with only an HTML body gets no empty text part.
    ...(message.text || !message.html ? { text: message.text } : {}),
    ...(message.html ? { html: message.html } : {}),
    messageId,
    date: new Date(),
    ...(message.inReplyTo ? { inReplyTo: message.inReplyTo } : {}),
    ...(message.references?.length ? { references: message.references } : {}),
    attachments: (message.attachments ?? []).map((item) => ({
      filename: item.filename,
      contentType: item.contentType,
      content: Buffer.from(item.contentBase64, 'base64'),
    })),
  });
  const raw: Buffer = await new Promise((resolve, reject) =>
    composer.compile().build((error, built) => (error ? reject(error) : resolve(built))),
  );
  return raw.toString('utf8');
}
