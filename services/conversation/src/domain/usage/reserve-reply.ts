import { RpcError, requestRpc } from '@conduit/bus';
import { reserveUsage } from '@conduit/contracts';
import { DomainError } from '@conduit/service-kit';
import type { ConversationDeps } from '../../deps.js';
import type { BotRow } from '../bots/bot-access.js';

/** Who pays for a bot's replies: its team, else its owner. */
export const payerOf = (bot: BotRow) =>
  bot.teamId ? ({ type: 'team', id: bot.teamId } as const) : ({ type: 'user', id: bot.ownerUserId } as const);

/**
 * Reserves one message and the AI credits a reply may use (`tokens` at most, one credit per
 * AI_CREDIT_TOKENS), through identity's usage RPC, before
 * anything is generated or stored. Throws limit_reached (402, with what is left) when refused,
 * unavailable when identity cannot answer (nothing is generated for free).
 */
export async function reserveReply(deps: ConversationDeps, bot: BotRow, tokens: number) {
  const subject = payerOf(bot);
  const aiCredits = Math.ceil(tokens / deps.env.AI_CREDIT_TOKENS);
  const reserve = async (metric: 'messages' | 'ai_credits', amount: number) => {
    try {
      return await requestRpc(
        deps.bus,
        reserveUsage,
        { subject, metric, amount },
        { timeoutMs: deps.env.RPC_TIMEOUT },
      );
    } catch (error) {
      if (error instanceof RpcError && error.code === 'not_found')
        throw new DomainError(
          'limit_reached',
          `This bot's plan does not include ${metric.replace('_', ' ')}.`,
          {
            fields: { metric, remaining: 0, limit: 0, periodEnd: null },
          },
        );
      if (error instanceof RpcError)
        throw new DomainError('unavailable', 'Usage cannot be checked right now; please try again shortly.', {
          retryAfterSeconds: 5,
        });
      throw error;
    }
  };
  const refused = (metric: string, answer: { remaining: number; limit: number; periodEnd: string | null }) =>
    new DomainError(
      'limit_reached',
      metric === 'messages'
        ? `The message limit of this bot's plan is reached (${answer.limit} per period).`
        : `The AI credits of this bot's plan are used up (${answer.remaining} left, this reply needs up to ${aiCredits}).`,
      { fields: { metric, remaining: answer.remaining, limit: answer.limit, periodEnd: answer.periodEnd } },
    );

  const messages = await reserve('messages', 1);
  if (!messages.granted) throw refused('messages', messages);
  if (aiCredits > 0) {
    const credits = await reserve('ai_credits', aiCredits);
    if (!credits.granted) throw refused('ai_credits', credits);
  }
  return { messages };
}
