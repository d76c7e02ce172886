import { emailRpc, inviteToTeamAsUser } from '@conduit/contracts';
import type { Bus } from './connection.js';
import { requestRpc } from './rpc.js';

/**
 * CREATE DRAFT and ADD MEMBER of a bot's BASIC script, the same for every host of scripts (a bot's
 * dialogs, its automations). CREATE DRAFT: a draft in the bot's mailbox, made by the email service
 * (rpc.email.bot_drafts.create) and answered with its id. ADD MEMBER: a team invite from identity
 * (rpc.identity.teams.invite), sent as the bot's owner and only if they may invite to that team.
 * A host whose calls may be retried (an automation's run) names each call with `keyFor`, and the
 * other side answers a key it has seen with what it made then.
 */

export interface BotMailKeywordsOptions {
  botId: string;
  ownerUserId: string;
  timeoutMs: number;
  /** The idempotency key of this call of the keyword, if the host's calls may be retried. */
  keyFor?: (keyword: 'draft' | 'invite') => string | undefined;
}

export function botMailKeywords(bus: Bus, options: BotMailKeywordsOptions) {
  const rpcOptions = { timeoutMs: options.timeoutMs };
  const keyOf = (keyword: 'draft' | 'invite') => {
    const key = options.keyFor?.(keyword);
    return key === undefined ? {} : { idempotencyKey: key };
  };
  return {
    /** `to`: the addresses, already split (mailRecipients of @conduit/basic). */
    async createDraft(to: string[], subject: string, body: string): Promise<string> {
      const request = emailRpc.createBotDraft.request.safeParse({
        botId: options.botId,
        to,
        subject,
        body,
        ...keyOf('draft'),
      });
      if (!request.success) throw new Error(`the draft is not valid (${request.error.issues[0]?.message})`);
      return (await requestRpc(bus, emailRpc.createBotDraft, request.data, rpcOptions)).draftId;
    },
    async addMember(email: string, team: string): Promise<string> {
      const request = inviteToTeamAsUser.request.safeParse({
        inviterUserId: options.ownerUserId,
        team,
        email: email.trim(),
        ...keyOf('invite'),
      });
      if (!request.success)
        throw new Error(`"${email.slice(0, 100)}" and "${team.slice(0, 100)}" are not an address and a team`);
      return (await requestRpc(bus, inviteToTeamAsUser, request.data, rpcOptions)).inviteId;
    },
  };
}
