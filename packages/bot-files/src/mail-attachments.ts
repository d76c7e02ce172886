import type { Value } from '@conduit/basic';
import { type BotMailAttachments, checkBotPath, MAX_MAIL_ATTACHMENTS } from '@conduit/contracts';
import type { BotFileOwner } from './bot-file-store.js';

/**
 * SEND MAIL's fourth argument (a bot file's path, a list of them, or LIST's rows) as the event's
 * attachments: the paths checked by the one path rule and the bot's owner, whose storage they
 * are read from. Null (not given) or an empty list attaches nothing. Throws, with a message for
 * the script's author, for a path that is not one or too many files; whether the files exist is
 * the email service's to find when it composes the mail.
 */
export function mailAttachments(value: Value | null, bot: BotFileOwner): BotMailAttachments | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const items = Array.isArray(value) ? value : [value];
  if (!items.length) return undefined;
  if (items.length > MAX_MAIL_ATTACHMENTS)
    throw new Error(`SEND MAIL attaches at most ${MAX_MAIL_ATTACHMENTS} files`);
  const paths = items.map((item) => {
    const raw =
      typeof item === 'object' && item !== null && !Array.isArray(item) && typeof item.path === 'string'
        ? item.path
        : item;
    if (typeof raw !== 'string')
      throw new Error(`SEND MAIL attaches bot files by path (text), not ${JSON.stringify(item)}`);
    const checked = checkBotPath(raw);
    if (!checked.ok) throw new Error(`SEND MAIL: ${checked.message}`);
    return checked.path;
  });
  return { ownerUserId: bot.ownerUserId, teamId: bot.teamId, paths: [...new Set(paths)] };
}
