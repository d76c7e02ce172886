import type { SecretBox } from '@conduit/secrets';
import type { ServerSettings } from '../../mail/mail-server.js';
import type { AccountRow } from './account-dto.js';

/** The sealed password is bound to its account's id: a ciphertext copied to another row does not open. */
export const sealPassword = (box: SecretBox, accountId: string, password: string) =>
  box.encrypt(password, `email-account:${accountId}`);

export const openPassword = (box: SecretBox, row: Pick<AccountRow, 'id' | 'encryptedPassword'>) =>
  box.decrypt(row.encryptedPassword, `email-account:${row.id}`);

/** The account's IMAP and SMTP servers with its opened password, for a connection; never logged. */
export function accountServers(
  box: SecretBox,
  row: AccountRow,
): { imap: ServerSettings; smtp: ServerSettings } {
  const password = openPassword(box, row);
  return {
    imap: {
      host: row.imapServer,
      port: row.imapPort,
      security: row.imapSecurity,
      username: row.username,
      password,
    },
    smtp: {
      host: row.smtpServer,
      port: row.smtpPort,
      security: row.smtpSecurity,
      username: row.username,
      password,
    },
  };
}
