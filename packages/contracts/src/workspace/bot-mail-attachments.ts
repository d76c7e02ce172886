import { z } from 'zod';
import { MAX_BOT_PATH } from './bot-file-path.js';

/** The most files one SEND MAIL may attach. */
export const MAX_MAIL_ATTACHMENTS = 10;

/**
 * The bot files a SEND MAIL attaches (General Bots' `SEND MAIL to, subject, body, attachments`):
 * their paths and whose storage they are in (the bot's owner and team, as the script's host names
 * them for the bot file keywords). Never bytes: the email service reads the files through
 * rpc.workspace.bot_files.read as that owner when it composes the mail.
 */
export const botMailAttachments = z.object({
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  paths: z.array(z.string().min(1).max(MAX_BOT_PATH)).min(1).max(MAX_MAIL_ATTACHMENTS),
});
export type BotMailAttachments = z.infer<typeof botMailAttachments>;
