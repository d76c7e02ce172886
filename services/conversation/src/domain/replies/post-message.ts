import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { ConversationDeps } from '../../deps.js';
import { replyMaxTokens } from '../app-visits/app-overrides.js';
import { programFor } from '../bots/compile-script.js';
import { triggeredBot } from '../dialog/agent-keywords.js';
import { continueDialog } from '../dialog/run-dialog.js';
import { scriptTokens } from '../dialog/script-host.js';
import { estimateTokens, ProviderError } from '../llm/chat-provider.js';
import { newMeter } from '../llm/usage-meter.js';
import { toSessionDto } from '../sessions/session-access.js';
import { newTurn, readSessionTurn } from '../turns/open-turn.js';
import { storeTurn } from '../turns/store-turn.js';
import type { ReplyEvent, ReplySink, Turn } from '../turns/turn.js';
import { lockTurn, type TurnLock } from '../turns/turn-lock.js';
import { type ReplyReservation, reserveReply } from '../usage/reserve-reply.js';
import { generateReply, readReplyInputs } from './generate-reply.js';

export interface PreparedReply {
  turn: Turn;
  text: string;
  mode: 'dialog' | 'llm';
  /** The session's turn lock, held until completeReply has stored (or failed). */
  lock: TurnLock;
  /** The usage reserved for the reply, settled by completeReply. */
  reservation: ReplyReservation;
  /** An offline reply produced before its reservation: what it streams once the answer begins. */
  answered?: ReplyEvent[];
}

/**
 * Everything a reply needs before it starts, including the session's turn lock and the usage
 * reservation: a refusal (402), an unknown or ended session (404 / 410) or one still answering
 * another message (409) is raised here, before a streamed answer begins, and nothing has been
 * stored.
 */
export async function prepareReply(
  deps: ConversationDeps,
  actor: Actor,
  sessionId: string,
  text: string,
  sink: ReplySink,
  signal: AbortSignal,
): Promise<PreparedReply> {
  const lock = await lockTurn(deps, sessionId);
  try {
    // An LLM reply's own reads (model, history, tools, prompt) join the session's transaction:
    // one transaction before the answer, not two.
    const { subject, mode, inputs } = await asActor(deps.db, actor, async (tx) => {
      const subject = await readSessionTurn(tx, actor, sessionId);
      const mode: PreparedReply['mode'] =
        subject.session.context.dialog && subject.bot.script ? 'dialog' : 'llm';
      const inputs =
        mode === 'llm'
          ? await readReplyInputs(tx, deps, { ...subject, context: subject.session.context })
          : undefined;
      return { subject, mode, inputs };
    });
    const { bot, settings } = subject;
    if (inputs?.resolved.provider.kind === 'offline') {
      // The built-in model costs nothing to ask and its cost is known once it has answered: the
      // reply is produced first and reserved at its exact cost, one usage call where a reply
      // otherwise reserves its most and gives back the rest. It streams once reserved.
      const answered: ReplyEvent[] = [];
      const meter = newMeter();
      const turn = newTurn(deps, actor, subject, meter, {
        generateReply,
        sink: { emit: (e) => answered.push(e) },
        signal,
      });
      turn.replyInputs = inputs;
      if (!(await triggeredBot(turn, text))) {
        await generateReply(turn, text);
        const reservation = await reserveReply(deps, actor, bot, meter.tokens, meter);
        turn.sink = sink;
        return { turn, text, mode, lock, reservation, answered };
      }
    }
    const credits =
      mode === 'llm' ? estimateTokens(text) + replyMaxTokens(deps, settings) : scriptTokens(deps, bot.script);
    const reservation = await reserveReply(deps, actor, bot, credits);
    const turn = newTurn(deps, actor, subject, reservation.meter, { generateReply, sink, signal });
    turn.replyInputs = inputs;
    return { turn, text, mode, lock, reservation };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/**
 * Produces and stores the reply: a suspended dialog resumes with the message, otherwise the LLM
 * answers. The user's message and the reply are stored together, at the end, so a reply that
 * fails stores nothing and its message is given back; either way the AI credits its model calls
 * did not use are given back. Throws ProviderError when the LLM failed, conflict when another
 * message was answered meanwhile.
 */
export async function completeReply(prepared: PreparedReply) {
  try {
    const done = await answerAndStore(prepared);
    await prepared.reservation.settle({ stored: true });
    return done;
  } catch (error) {
    await prepared.reservation.settle({ stored: false });
    throw error;
  } finally {
    await prepared.lock.release();
  }
}

async function answerAndStore(prepared: PreparedReply) {
  const { turn, text } = prepared;
  if (prepared.answered) {
    for (const event of prepared.answered) turn.sink.emit(event);
  } else if (prepared.mode === 'dialog') {
    let program: ReturnType<typeof programFor> | undefined;
    try {
      program = programFor(turn.bot.script!);
    } catch {
      program = undefined;
    }
    if (program) await continueDialog(turn, program, text);
    else turn.context.dialog = null;
    if (turn.llmTokens) {
      const last = [...turn.outputs].reverse().find((o) => o.sender === 'bot');
      if (last) last.tokensOut = turn.llmTokens;
    }
  } else {
    // A bot added with ADD BOT answers the messages that mention its trigger words.
    const added = await triggeredBot(turn, text);
    const before = turn.outputs.length;
    await generateReply(added ?? turn, text);
    if (added)
      for (const output of turn.outputs.slice(before))
        output.metadata = { ...output.metadata, botId: added.bot.id, botName: added.bot.name };
  }
  const stored = await storeTurn(turn, text);
  const usage = stored.messages.reduce(
    (sum, m) => ({ tokensIn: sum.tokensIn + m.tokensIn, tokensOut: sum.tokensOut + m.tokensOut }),
    { tokensIn: 0, tokensOut: 0 },
  );
  return { messages: stored.messages, session: toSessionDto(stored.session), usage };
}

/** The non-streaming path: provider failures become 502 / 504 problems with the user-facing text. */
export async function postMessage(
  deps: ConversationDeps,
  actor: Actor,
  sessionId: string,
  text: string,
  sink: ReplySink,
) {
  const controller = new AbortController();
  const prepared = await prepareReply(deps, actor, sessionId, text, sink, controller.signal);
  try {
    return await deps.inFlight.track(completeReply(prepared));
  } catch (error) {
    if (error instanceof ProviderError)
      throw new DomainError(error.code === 'timeout' ? 'gateway_timeout' : 'bad_gateway', error.userMessage);
    throw error;
  }
}
