import { requireBotManager } from '@conduit/bus';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { MailDeps } from '../../deps.js';

const BOT_LOOKUP_TIMEOUT_MS = 5_000;

/**
 * An account that names a bot (`botId`) sends the bot's SEND MAIL and holds its CREATE DRAFT
 * drafts, so only the bot's managers may name it, and only on a mailbox of the bot's owner: the
 * team's account for a team bot, the owner's own for a personal bot. Throws as requireBotManager
 * (not_found, forbidden, unavailable), unprocessable for an account of someone else.
 */
export async function checkBotMailbox(
  deps: MailDeps,
  actor: Actor,
  botId: string,
  account: { userId: string; teamId: string | null },
) {
  const bot = await requireBotManager(deps.bus, actor, botId, { timeoutMs: BOT_LOOKUP_TIMEOUT_MS });
  const ownersMailbox = bot.teamId
    ? account.teamId === bot.teamId
    : account.teamId === null && account.userId === bot.ownerUserId;
  if (!ownersMailbox)
    throw new DomainError(
      'unprocessable',
      bot.teamId
        ? "A team bot's mailbox must be one of its team's accounts."
        : "A personal bot's mailbox must be one of its owner's own accounts.",
    );
}
