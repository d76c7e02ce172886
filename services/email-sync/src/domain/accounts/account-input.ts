import { readableText, storableText } from '@conduit/contracts';
import { z } from 'zod';
import { securityModes } from '../../db/schema.js';

/** A host name or IP literal as a mail server is named (no scheme, path or credentials). */
const host = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9a-fA-F:.]+)$/,
    'a host name or IP address',
  );

export const serverInput = z
  .object({
    host,
    port: z.int().min(1).max(65535),
    security: z.enum(securityModes).default('tls'),
  })
  .strict();

export const createAccountInput = z
  .object({
    emailAddress: z.email().max(320),
    displayName: readableText(200).optional(),
    imap: serverInput,
    smtp: serverInput,
    /** The login name; the address when not given. */
    username: storableText(320).min(1).optional(),
    password: storableText(1000).min(1),
    teamId: z.uuid().optional(),
    /** A bot (of the caller's) whose SEND MAIL sends from this account. */
    botId: z.uuid().optional(),
    active: z.boolean().optional(),
  })
  .strict();
export type CreateAccountInput = z.output<typeof createAccountInput>;

export const updateAccountInput = z
  .object({
    emailAddress: z.email().max(320).optional(),
    displayName: readableText(200).nullable().optional(),
    imap: serverInput.optional(),
    smtp: serverInput.optional(),
    username: storableText(320).min(1).optional(),
    password: storableText(1000).min(1).optional(),
    botId: z.uuid().nullable().optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');
export type UpdateAccountInput = z.output<typeof updateAccountInput>;
