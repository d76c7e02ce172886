import { z } from 'zod';
import { securityModes, syncStates, type userEmailAccounts } from '../../db/schema.js';

const server = z.object({ host: z.string(), port: z.int(), security: z.enum(securityModes) });

/** An account as the API shows it: never its password. */
export const accountDto = z.object({
  id: z.uuid(),
  emailAddress: z.string(),
  displayName: z.string().nullable(),
  imap: server,
  smtp: server,
  username: z.string(),
  active: z.boolean(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  botId: z.uuid().nullable(),
  sync: z.object({
    state: z.enum(syncStates),
    lastError: z.string().nullable(),
    lastErrorAt: z.string().nullable(),
    lastSyncAt: z.string().nullable(),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AccountDto = z.output<typeof accountDto>;

export type AccountRow = typeof userEmailAccounts.$inferSelect;

export const toAccountDto = (row: AccountRow): AccountDto => ({
  id: row.id,
  emailAddress: row.emailAddress,
  displayName: row.displayName,
  imap: { host: row.imapServer, port: row.imapPort, security: row.imapSecurity },
  smtp: { host: row.smtpServer, port: row.smtpPort, security: row.smtpSecurity },
  username: row.username,
  active: row.active,
  ownerUserId: row.userId,
  teamId: row.teamId,
  botId: row.botId,
  sync: {
    state: row.syncState,
    lastError: row.lastError,
    lastErrorAt: row.lastErrorAt?.toISOString() ?? null,
    lastSyncAt: row.lastSyncAt?.toISOString() ?? null,
  },
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
