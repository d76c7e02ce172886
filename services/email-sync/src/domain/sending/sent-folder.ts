import type { ImapFlow } from 'imapflow';
import type { MailDeps } from '../../deps.js';
import { closeImap, openImap } from '../../mail/imap-client.js';
import type { ServerSettings } from '../../mail/mail-server.js';

/**
 * Appends a sent message to the account's Sent folder (the folder with the \Sent special use, else
 * one named Sent, created when missing), marked read. Returns the connection for the caller to close.
 */
export async function appendToSent(
  deps: Pick<MailDeps, 'mailHosts' | 'env' | 'log'>,
  imap: ServerSettings,
  raw: string,
): Promise<ImapFlow> {
  const client = await openImap(deps, imap, { label: 'sent-folder' });
  try {
    const folders = await client.list();
    let path = folders.find((folder) => folder.specialUse === '\\Sent')?.path;
    if (!path) {
      path = folders.find((folder) => folder.path.toLowerCase() === 'sent')?.path ?? 'Sent';
      if (!folders.some((folder) => folder.path === path)) await client.mailboxCreate(path);
    }
    await client.append(path, raw, ['\\Seen']);
    return client;
  } catch (error) {
    await closeImap(client);
    throw error;
  }
}
