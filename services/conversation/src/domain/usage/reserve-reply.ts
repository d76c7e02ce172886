import { isCounted, refusedLine, releaseUsageOf, reserveUsageOf, type UsageAnswer } from '@conduit/bus';
import type { Actor, UsageItem } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { ConversationDeps } from '../../deps.js';
import { visitOf } from '../app-visits/visitor-actor.js';
import type { BotRow } from '../bots/bot-access.js';
import { newMeter, type UsageMeter } from '../llm/usage-meter.js';

/**
 * Who pays for a bot's replies: its team, else its owner; a reply to an app's visitor is billed to
 * the app's team, else the app's owner.
 */
export function payerOf(actor: Actor, bot: BotRow) {
  const owner = visitOf(actor) ?? bot;
  return owner.teamId
    ? ({ type: 'team', id: owner.teamId } as const)
    : ({ type: 'user', id: owner.ownerUserId } as const);
}

/** A granted reservation for one reply: settle it once the reply is stored or has failed. */
export interface ReplyReservation {
  /** The reply's model calls count their tokens here (Turn.meter). */
  meter: UsageMeter;
  /**
   * Gives back, in one release, what the reply did not use: the AI credits beyond what its model
   * calls used (one per AI_CREDIT_TOKENS of the meter, kept whether or not the reply is stored:
   * the provider did the work), and the message when it stored none; nothing when it used all it
   * reserved. Best effort: logs and never throws, since the reply itself has already succeeded or
   * failed.
   */
  settle(outcome: { stored: boolean }): Promise<void>;
}

/**
 * Reserves one message and the AI credits a reply may use (`tokens` at most, one credit per
 * AI_CREDIT_TOKENS) in one call to identity's usage RPC, before anything is generated or stored:
 * identity grants both or neither. Throws limit_reached (402, with what is left of the metric that
 * refused) when refused, unavailable when identity cannot answer (nothing is generated for free).
 * The built-in offline model is the exception: free to ask, its reply is produced first and
 * reserved at its exact cost, with its meter, so nothing is given back (see prepareReply).
 */
export async function reserveReply(
  deps: ConversationDeps,
  actor: Actor,
  bot: BotRow,
  tokens: number,
  /** The meter of a reply already produced (what `tokens` says it used): nothing to give back. */
  meter: UsageMeter = newMeter(),
): Promise<ReplyReservation> {
  const subject = payerOf(actor, bot);
  const aiCredits = Math.ceil(tokens / deps.env.AI_CREDIT_TOKENS);
  const items: UsageItem[] = [{ metric: 'messages', amount: 1 }];
  if (aiCredits > 0) items.push({ metric: 'ai_credits', amount: aiCredits });
  const answer = await reserveUsageOf(deps.bus, subject, items, {
    notIncluded: "This bot's plan does not include bot replies.",
    timeoutMs: deps.env.RPC_TIMEOUT,
  });
  if (!answer.granted) throw refusal(answer, aiCredits);

  return {
    meter,
    async settle({ stored }) {
      const unused: UsageItem[] = [];
      if (!stored) unused.push({ metric: 'messages', amount: 1 });
      const creditsUnused = aiCredits - Math.ceil(meter.tokens / deps.env.AI_CREDIT_TOKENS);
      if (creditsUnused > 0) unused.push({ metric: 'ai_credits', amount: creditsUnused });
      // A metric the plan does not limit counted nothing: there is nothing of it to give back.
      const counted = new Set(answer.items.filter(isCounted).map((line) => line.metric));
      const toGiveBack = unused.filter((item) => counted.has(item.metric));
      if (toGiveBack.length === 0) return;
      try {
        // The reservation's id gives back first what it drew from the payer's bought credits.
        await releaseUsageOf(deps.bus, subject, toGiveBack, answer, { timeoutMs: deps.env.RPC_TIMEOUT });
      } catch (error) {
        deps.log.warn({ err: error, unused: toGiveBack }, 'unused usage could not be given back');
      }
    },
  };
}

/**
 * The 402 of a refused reservation: the metric that did not fit and what is left of it (for AI
 * credits, of the plan's quota and the bought credits beside it together).
 */
function refusal(answer: UsageAnswer, aiCredits: number): DomainError {
  const { metric, remaining, limit, credits } = refusedLine(answer);
  return new DomainError(
    'limit_reached',
    metric === 'messages'
      ? `The message limit of this bot's plan is reached (${limit} per period).`
      : `The AI credits of this bot's plan and its bought credits are used up (${remaining + (credits ?? 0)} left, this reply needs up to ${aiCredits}).`,
    { fields: { metric, remaining, limit, periodEnd: answer.periodEnd } },
  );
}

/**
 * Runs `reply` under a reservation for it, with the meter its model calls count on; settled once
 * it ends: as it says (`stored`), or as storing nothing when it throws.
 */
export async function withReservedReply<T>(
  deps: ConversationDeps,
  actor: Actor,
  bot: BotRow,
  tokens: number,
  reply: (meter: UsageMeter) => Promise<{ result: T; stored: boolean }>,
): Promise<T> {
  const reservation = await reserveReply(deps, actor, bot, tokens);
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
