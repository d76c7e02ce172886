import type { Readable } from 'node:stream';
import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { MailboxObject } from 'imapflow';
import type { MailDeps } from '../../deps.js';
import { closeImap, openImap } from '../../mail/imap-client.js';
import { mailFailureOf } from '../../mail/mail-server.js';
import { accountServers } from '../accounts/account-servers.js';
import { messageFor } from './message-access.js';

/**
 * An attachment's content, decoded, streamed from the server as it is read (nothing kept here).
 * The IMAP connection lives as long as the stream. Throws not_found (message, or no such
 * attachment part), conflict when the folder changed on the server, bad_gateway when the server
 * cannot be used.
 */
export async function attachmentContent(deps: MailDeps, actor: Actor, messageId: string, part: string) {
  const { message, folder, account } = await asActor(deps.db, actor, (tx) =>
    messageFor(tx, actor, messageId, 'email.read'),
  );
  const attachment = message.attachments.find((a) => a.part === part);
  if (!attachment) throw new DomainError('not_found', 'The message has no attachment with this part number.');
  let client: Awaited<ReturnType<typeof openImap>>;
  try {
    client = await openImap(deps, accountServers(deps.box, account).imap, {
      label: `download ${account.id}`,
    });
  } catch (error) {
    throw new DomainError('bad_gateway', `The mail server could not be used: ${mailFailureOf(error).reason}`);
  }
  let content: Readable;
  try {
    const lock = await client.getMailboxLock(folder.path);
    if (Number((client.mailbox as MailboxObject).uidValidity) !== message.uidvalidity) {
      lock.release();
      throw new DomainError(
        'conflict',
        'The folder was reset on the server; it is read again at the next sync.',
      );
    }
    const download = await client.download(String(message.uid), part, { uid: true });
    if (!('content' in download) || !download.content) {
      lock.release();
      throw new DomainError('not_found', 'The server no longer has this attachment.');
    }
    content = download.content;
    content.once('close', () => {
      lock.release();
      void closeImap(client);
    });
  } catch (error) {
    await closeImap(client);
    throw error;
  }
  return {
    content,
    contentType: attachment.contentType,
    filename: attachment.filename ?? `attachment-${part}`,
  };
}
