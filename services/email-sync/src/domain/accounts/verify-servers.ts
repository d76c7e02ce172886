import { DomainError } from '@conduit/errors';
import type { MailDeps } from '../../deps.js';
import { closeImap, openImap } from '../../mail/imap-client.js';
import { mailFailureOf, type ServerSettings } from '../../mail/mail-server.js';
import { createSmtpTransport } from '../../mail/smtp-client.js';

/**
 * Logs in to the IMAP server and to the SMTP server with the settings an account is about to
 * get. Throws unprocessable (422) with the server's reason when either refuses the credentials,
 * cannot be reached, or is an address no account may reach.
 */
export async function verifyServers(deps: MailDeps, servers: { imap: ServerSettings; smtp: ServerSettings }) {
  try {
    const client = await openImap(deps, servers.imap, { label: 'verify' });
    await closeImap(client);
  } catch (error) {
    throw refusal('IMAP', error);
  }
  try {
    const transport = await createSmtpTransport(deps, servers.smtp);
    try {
      await transport.verify();
    } finally {
      transport.close();
    }
  } catch (error) {
    throw refusal('SMTP', error);
  }
}

function refusal(protocol: 'IMAP' | 'SMTP', error: unknown) {
  const failure = mailFailureOf(error);
  const what =
    failure.kind === 'auth'
      ? `The ${protocol} server refused the credentials`
      : failure.kind === 'refused'
        ? `The ${protocol} server cannot be used`
        : `The ${protocol} server could not be reached`;
  return new DomainError('unprocessable', `${what}: ${failure.reason}`, {
    fields: { [protocol.toLowerCase()]: failure.reason },
  });
}
