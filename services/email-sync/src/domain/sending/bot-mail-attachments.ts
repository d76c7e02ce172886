import { dropBytes, takeBytes } from '@conduit/bus';
import type { BotMailAttachments } from '@conduit/contracts';
import { readBotFileOf } from '../../clients/workspace-client.js';
import type { MailDeps } from '../../deps.js';
import { ATTACHMENTS_MAX_BYTES, type AttachmentInput } from './message-input.js';

export type BotAttachmentsRead = { ok: true; attachments: AttachmentInput[] } | { ok: false; reason: string };

/**
 * The bot files a SEND MAIL attaches, read from the workspace (rpc.workspace.bot_files.read) as
 * the bot's owner the event names, exactly as the bot's own file keywords read them, within the
 * limit a draft's attachments have (ATTACHMENTS_MAX_BYTES together). A file that is not there (or
 * a path the workspace refuses) or files over the limit answer `ok: false` with the reason, which
 * no retry changes; a workspace that does not answer throws, for the event to be tried again.
 */
export async function readBotMailAttachments(
  deps: Pick<MailDeps, 'bus' | 'env'>,
  botId: string,
  wanted: BotMailAttachments,
): Promise<BotAttachmentsRead> {
  const bot = { botId, ownerUserId: wanted.ownerUserId, teamId: wanted.teamId };
  const attachments: AttachmentInput[] = [];
  let total = 0;
  for (const path of wanted.paths) {
    const file = await readBotFileOf(deps, bot, path);
    if (!file) return { ok: false, reason: `attachment "${path}" is not one of the bot's files` };
    total += file.sizeBytes;
    if (total > ATTACHMENTS_MAX_BYTES) {
      await dropBytes(deps.bus, file.transfer);
      return {
        ok: false,
        reason: `attachments are more than ${ATTACHMENTS_MAX_BYTES / 1024 / 1024} MiB together (at "${path}")`,
      };
    }
    const bytes = await takeBytes(deps.bus, file.transfer, file.sizeBytes);
    attachments.push({
      filename: file.name,
      contentType: file.contentType || 'application/octet-stream',
      contentBase64: bytes.toString('base64'),
    });
  }
  return { ok: true, attachments };
}
