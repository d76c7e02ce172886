import { RpcError, requestRpc } from '@conduit/bus';
import { releaseUsage, reserveUsage, type UsageMetric } from '@conduit/contracts';
import { DomainError } from '@conduit/service-kit';
import type { ConversationDeps } from '../../deps.js';
import type { BotRow } from '../bots/bot-access.js';
import { newMeter, type UsageMeter } from '../llm/usage-meter.js';

/** Who pays for a bot's replies: its team, else its owner. */
export const payerOf = (bot: BotRow) =>
  bot.teamId ? ({ type: 'team', id: bot.teamId } as const) : ({ type: 'user', id: bot.ownerUserId } as const);

/** A granted reservation for one reply: settle it once the reply is stored or has failed. */
export interface ReplyReservation {
  /** The reply's model calls count their tokens here (Turn.meter). */
  meter: UsageMeter;
  /**
   * Gives back what the reply did not use: the AI credits beyond what its model calls used (one
   * per AI_CREDIT_TOKENS of the meter, kept whether or not the reply is stored: the provider did
   * the work), and the message when it stored none. Best effort: logs and never throws, since the
   * reply itself has already succeeded or failed.
   */
  settle(outcome: { stored: boolean }): Promise<void>;
}

/**
 * Reserves one message and the AI credits a reply may use (`tokens` at most, one credit per
 * AI_CREDIT_TOKENS), through identity's usage RPC, before
 * anything is generated or stored. Throws limit_reached (402, with what is left) when refused,
 * unavailable when identity cannot answer (nothing is generated for free); a message reserved
 * before the credits were refused is given back.
 */
export async function reserveReply(
  deps: ConversationDeps,
  bot: BotRow,
  tokens: number,
): Promise<ReplyReservation> {
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

  const giveBack = async (metric: UsageMetric, amount: number, periodEnd: string | null) => {
    if (amount <= 0 || !periodEnd) return;
    try {
      await requestRpc(
        deps.bus,
        releaseUsage,
        { subject, metric, amount, periodEnd },
        { timeoutMs: deps.env.RPC_TIMEOUT },
      );
    } catch (error) {
      deps.log.warn({ err: error, metric, amount }, 'unused usage could not be given back');
    }
  };

  const messages = await reserve('messages', 1);
  if (!messages.granted) throw refused('messages', messages);
  let creditsPeriodEnd: string | null = null;
  if (aiCredits > 0) {
    let credits: Awaited<ReturnType<typeof reserve>>;
    try {
      credits = await reserve('ai_credits', aiCredits);
    } catch (error) {
      await giveBack('messages', 1, messages.periodEnd);
      throw error;
    }
    if (!credits.granted) {
      await giveBack('messages', 1, messages.periodEnd);
      throw refused('ai_credits', credits);
    }
    creditsPeriodEnd = credits.periodEnd;
  }
  const meter = newMeter();
  return {
    meter,
    async settle({ stored }) {
      const creditsUsed = Math.ceil(meter.tokens / deps.env.AI_CREDIT_TOKENS);
      await Promise.all([
        stored ? undefined : giveBack('messages', 1, messages.periodEnd),
        giveBack('ai_credits', aiCredits - creditsUsed, creditsPeriodEnd),
      ]);
    },
  };
}

/**
 * Runs `reply` under a reservation for it, with the meter its model calls count on; settled once
 * it ends: as it says (`stored`), or as storing nothing when it throws.
 */
export async function withReservedReply<T>(
  deps: ConversationDeps,
  bot: BotRow,
  tokens: number,
  reply: (meter: UsageMeter) => Promise<{ result: T; stored: boolean }>,
): Promise<T> {
  const reservation = await reserveReply(deps, bot, tokens);
  let done: { result: T; stored: boolean };
  try {
    done = await reply(reservation.meter);
  } catch (error) {
    await reservation.settle({ stored: false });
    throw error;
  }
  await reservation.settle({ stored: done.stored });
  return done.result;
}
