import { DomainError } from '@conduit/errors';
import type { ImapFlow } from 'imapflow';
import type { MailDeps } from '../../deps.js';
import { closeImap, openImap } from '../../mail/imap-client.js';
import { mailFailureOf } from '../../mail/mail-server.js';
import type { AccountRow } from './account-dto.js';
import { accountServers } from './account-servers.js';

/**
 * Runs `fn` on a fresh IMAP connection to the account's server, for a change a user asked for
 * (written to IMAP first, then to Postgres). A server that refuses or cannot be reached is a 502
 * with its reason; the connection is closed afterwards either way.
 */
export async function withAccountImap<T>(
  deps: MailDeps,
  account: AccountRow,
  fn: (client: ImapFlow) => Promise<T>,
): Promise<T> {
  let client: ImapFlow;
  try {
    client = await openImap(deps, accountServers(deps.box, account).imap, { label: `api ${account.id}` });
  } catch (error) {
    const failure = mailFailureOf(error);
    throw new DomainError('bad_gateway', `The mail server could not be used: ${failure.reason}`);
  }
  try {
    return await fn(client);
  } finally {
    await closeImap(client);
  }
}
