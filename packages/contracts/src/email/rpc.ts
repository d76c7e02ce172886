import { z } from 'zod';
import { defineRpc } from '../rpc.js';

/**
 * A bot script's CREATE DRAFT: a draft in the mailbox the bot is configured with (the active
 * account whose owner named the bot), written as that account's owner. Errors: not_found when the
 * bot has no account. Answers the draft's id, so a script can tell its user where to find it.
 */
export const createBotDraft = defineRpc(
  'rpc.email.bot_drafts.create',
  z.object({
    botId: z.uuid(),
    to: z.array(z.email().max(320)).min(1).max(50),
    subject: z.string().max(998),
    body: z.string().max(1_000_000),
    /** The same key for the same mailbox answers the draft it made, without a second draft. */
    idempotencyKey: z.string().min(1).max(200).optional(),
  }),
  z.object({ draftId: z.uuid(), accountId: z.uuid() }),
);
