import { botFileKeywords } from '@conduit/bot-files';
import { createOutboundHttp } from '@conduit/outbound-http';
import type { ConversationDeps } from '../../deps.js';
import type { BotRow } from '../bots/bot-access.js';

/**
 * READ, WRITE, LIST, COPY, MOVE, DELETE FILE, UPLOAD, DOWNLOAD, COMPRESS, EXTRACT, GENERATE PDF and
 * MERGE PDF (@conduit/bot-files): the bot's own files in the workspace service, written as the
 * bot's owner whoever is chatting (the script is the owner's; it decides what a speaker may see).
 * DOWNLOAD and UPLOAD go through the outbound guard with the HTTP keywords' settings.
 */
export function fileKeywords(deps: ConversationDeps, bot: Pick<BotRow, 'id' | 'ownerUserId' | 'teamId'>) {
  const { env } = deps;
  return botFileKeywords(deps.bus, {
    bot: { botId: bot.id, ownerUserId: bot.ownerUserId, teamId: bot.teamId },
    timeoutMs: env.RPC_TIMEOUT,
    http: createOutboundHttp({
      allow: env.SCRIPT_HTTP_ALLOW,
      timeoutMs: env.SCRIPT_HTTP_TIMEOUT,
      maxBytes: env.SCRIPT_HTTP_MAX_BYTES,
    }),
  });
}
